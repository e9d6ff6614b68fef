// Delegation names, flags and cues on the ceremony pages (flags come from lib/names.js).
import { t } from '../lib/i18n.js';
import { flagEmoji, localName } from '../lib/names.js';

/** The delegation's name in the page's language (its default name otherwise). */
export function delegationName(winner) {
  return localName({ names: winner.delegation_names, name: winner.delegation_name }, undefined, winner.delegation);
}

/** The badge beside a winner: the flag, or the code where none maps. */
export function badge(winner) {
  return flagEmoji(winner.delegation) || winner.delegation;
}

/** "CHN — Wang Wei, Li Na" */
export function winnerLine(winner) {
  const people = (winner.members || []).join(', ');
  return people ? `${winner.delegation} — ${people}` : winner.delegation;
}

export function medalLabel(medal) {
  return t(`medal.${medal}`);
}

/** The presenter's cue: "Next: Gold in Welding, CHN — Wang Wei". */
export function cue(step) {
  if (!step) return t('ceremony.cue_end');
  const winners = step.winners.map(winnerLine).join('; ');
  return t('ceremony.cue', { medal: medalLabel(step.medal), skill: step.skill_name, winners });
}
