// Pure helpers for result rows and medal rows, shared by the board and the console.

/** Rank order: ranked rows by rank, ties by entry code; unranked (withdrawn, …) last by code. */
export function compareRows(a, b) {
  const ra = a.rank ?? Infinity;
  const rb = b.rank ?? Infinity;
  if (ra !== rb) return ra - rb;
  return String(a.entry).localeCompare(String(b.entry));
}

/**
 * Applies a delta to `rows` (a snapshot's rows, each with its number `i`) and re-sorts:
 * `patches` (the delta's `rows`) carry only the fields that changed (of `criteria`, only the
 * changed criteria); `ranks` and `medals` (`[i, value, i, value, …]`) move rows whose content
 * did not change. Returns null when a patch names a row the page does not hold.
 */
export function mergeRows(rows, patches, ranks, medals) {
  const byNumber = new Map((rows || []).map((r) => [r.i, { ...r }]));
  for (const patch of patches || []) {
    const row = byNumber.get(patch.i);
    if (!row) return null;
    for (const [key, value] of Object.entries(patch)) {
      row[key] = key === 'criteria' ? { ...(row.criteria || {}), ...value } : value;
    }
  }
  for (const [list, field] of [[ranks, 'rank'], [medals, 'medal']]) {
    for (let k = 0; k + 1 < (list || []).length; k += 2) {
      const row = byNumber.get(list[k]);
      if (!row) return null;
      row[field] = list[k + 1];
    }
  }
  return [...byNumber.values()].sort(compareRows);
}

/** The score a spectator sees: the scaled score of a standardised skill, else the raw total. */
export function shownScore(row) {
  return row.scaled ?? row.raw;
}

/** "1", or "=2" for a rank shared with another row. */
export function rankText(rank, shared) {
  if (rank === null || rank === undefined) return '–';
  return shared ? `=${rank}` : String(rank);
}

/** Marks ranks shared between result rows (medal rows carry `shared` themselves). */
export function sharedRanks(rows) {
  const counts = new Map();
  for (const r of rows) if (r.rank != null) counts.set(r.rank, (counts.get(r.rank) || 0) + 1);
  return (rank) => rank != null && (counts.get(rank) || 0) > 1;
}

/** 0..1 share of expected marks stored, for progress bars. */
export function fraction(marked, expected) {
  if (!expected) return 0;
  return Math.max(0, Math.min(1, marked / expected));
}
