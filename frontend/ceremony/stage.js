// What a hall screen shows, drawn from the hall's view of the ceremony (revealed steps
// only): the skill being revealed, its revealed steps with the newest animated in, a
// "REHEARSAL" watermark during rehearsals. The presenter's mirror draws the same stage.
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { badge, delegationName, medalLabel } from './names.js';

function winnerCard(winner) {
  return h('li', { class: 'winner' },
    h('span', { class: 'flag', 'aria-hidden': 'true' }, badge(winner)),
    h('span', { class: 'who' },
      h('span', { class: 'people' }, (winner.members || []).join(', ') || winner.entry),
      h('span', { class: 'delegation' }, `${delegationName(winner)} · ${winner.delegation}`)));
}

function stepBlock(step, fresh) {
  return h('section', { class: ['step', `medal-${step.medal}`, fresh && 'reveal'], dataset: { medal: step.medal } },
    h('h3', { class: 'medal-name' }, medalLabel(step.medal)),
    h('ul', { class: ['winners', step.winners.length > 3 && 'many'] }, step.winners.map(winnerCard)));
}

/**
 * Draws `view` into `root`. `previous` is the position drawn before: the step revealed since
 * is animated (and only that one, so a redraw does not replay every animation).
 */
export function renderStage(root, view, previous = null) {
  root.classList.toggle('rehearsal', Boolean(view.rehearsal));
  const watermark = view.rehearsal ? h('div', { class: 'watermark', 'aria-hidden': 'true' }, t('ceremony.rehearsal')) : null;
  const current = view.skills.length ? view.skills[view.skills.length - 1] : null;
  if (!current) {
    replace(root, watermark,
      h('div', { class: 'stage-idle' },
        h('p', { class: 'competition' }, view.name),
        h('h1', { class: 'headline' }, view.planned ? t('ceremony.waiting') : t('ceremony.no_plan'))));
    return;
  }
  const fresh = previous !== null && view.position > previous;
  const steps = current.steps.map((step, i) => stepBlock(step, fresh && i === current.steps.length - 1));
  replace(root, watermark,
    h('header', { class: 'stage-head' },
      h('p', { class: 'competition' }, view.name),
      h('h1', { class: 'skill-name' }, current.name)),
    h('div', { class: 'steps' }, steps.reverse()),
    view.finished ? h('p', { class: 'finale' }, t('ceremony.finished')) : null);
}
