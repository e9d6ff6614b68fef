// Pure helpers for result rows and medal rows, shared by the board and the console.

/** Rank order: ranked rows by rank, ties by entry code; unranked (withdrawn, …) last by code. */
export function compareRows(a, b) {
  const ra = a.rank ?? Infinity;
  const rb = b.rank ?? Infinity;
  if (ra !== rb) return ra - rb;
  return String(a.entry).localeCompare(String(b.entry));
}

/**
 * Merges a delta into `rows` and re-sorts: `changed` (the delta's `rows`) replace rows by
 * entry code; `ranks` ({entry: [rank, medal]}) moves rows whose content did not change.
 */
export function mergeRows(rows, changed, ranks) {
  const byEntry = new Map((rows || []).map((r) => [r.entry, r]));
  for (const row of changed || []) byEntry.set(row.entry, row);
  for (const [entry, [rank, medal]] of Object.entries(ranks || {})) {
    const row = byEntry.get(entry);
    if (row) byEntry.set(entry, { ...row, rank, medal });
  }
  return [...byEntry.values()].sort(compareRows);
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
