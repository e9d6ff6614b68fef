// Skills and their marking schemes: the list, and an editor for settings, criteria and
// aspects (PUT replaces the whole skill; the server answers 409 scheme_locked once the
// skill has marks).
import { h, replace } from '../lib/dom.js';
import { t, number } from '../lib/i18n.js';
import { path } from '../lib/api.js';
import { toast, confirmDialog, problemView, showFieldErrors } from '../lib/ui.js';
import { table, stateBadge } from './common.js';
import { schemeImportCard } from './sheetimport.js';

const blankAspect = (n) => ({ code: `${n}`, description: '', kind: 'measurement', max: '1.00', panel: null, mode: null });
const blankCriterion = (letter) => ({ code: letter, name: '', aspects: [blankAspect(`${letter}1`)] });

/** The editable copy of a skill, shaped like the request body. */
function draftOf(skill) {
  if (!skill) {
    return {
      code: '', name: '', team_size: 1, standardise: 'none', tie_tolerance: '0', tie_break: 'none', max_judgement_spread: 1,
      judgement_aggregation: { method: 'mean', k: 1 }, excellence_threshold: '', min_entries_for_medals: 1, scale_centre: '', scale_step: '',
      criteria: [blankCriterion('A')],
    };
  }
  return {
    code: skill.code, name: skill.name, team_size: skill.team_size, standardise: skill.standardise, tie_tolerance: skill.tie_tolerance ?? '0',
    tie_break: skill.tie_break, max_judgement_spread: skill.max_judgement_spread,
    judgement_aggregation: { method: skill.judgement_aggregation?.method || 'mean', k: skill.judgement_aggregation?.k || 1 },
    excellence_threshold: skill.excellence_threshold ?? '', min_entries_for_medals: skill.min_entries_for_medals ?? 1,
    scale_centre: skill.scale_centre ?? '', scale_step: skill.scale_step ?? '',
    criteria: (skill.criteria || []).map((c) => ({ code: c.code, name: c.name, aspects: c.aspects.map((a) => ({ ...a })) })),
  };
}

function bodyOf(d) {
  const body = {
    code: d.code.trim(), name: d.name.trim(), team_size: Number(d.team_size), standardise: d.standardise, tie_tolerance: String(d.tie_tolerance || '0'),
    tie_break: d.tie_break, max_judgement_spread: Number(d.max_judgement_spread), min_entries_for_medals: Number(d.min_entries_for_medals),
    judgement_aggregation: d.judgement_aggregation.method === 'trimmed' ? { method: 'trimmed', k: Number(d.judgement_aggregation.k) } : { method: d.judgement_aggregation.method },
    criteria: d.criteria.map((c) => ({
      code: c.code.trim(), name: c.name.trim(),
      aspects: c.aspects.map((a) => {
        const out = { code: a.code.trim(), description: a.description.trim(), kind: a.kind, max: String(a.max).trim().replace(',', '.') };
        if (a.kind === 'judgement') out.panel = Number(a.panel || 3);
        if (a.kind === 'measurement' && a.mode === 'binary') out.mode = 'binary';
        return out;
      }),
    })),
  };
  if (String(d.excellence_threshold).trim()) body.excellence_threshold = String(d.excellence_threshold).trim();
  if (d.standardise === 'robust700') {
    if (String(d.scale_centre).trim()) body.scale_centre = String(d.scale_centre).trim();
    if (String(d.scale_step).trim()) body.scale_step = String(d.scale_step).trim();
  }
  return body;
}

let seq = 0;
/** A bound input: edits write straight into `obj[key]`. */
function bound(obj, key, attrs = {}, { pointer, label, onChange } = {}) {
  const id = `s${++seq}`;
  const el = attrs.options
    ? h('select', { id, name: key }, attrs.options.map((o) => h('option', { value: o.value, selected: String(o.value) === String(obj[key]) }, o.label)))
    : h('input', { id, name: key, type: attrs.type || 'text', value: obj[key] ?? '', autocomplete: 'off', inputmode: attrs.inputmode, class: attrs.class, size: attrs.size });
  if (pointer) el.dataset.pointer = pointer;
  el.addEventListener(attrs.options ? 'change' : 'input', () => { obj[key] = el.value; if (onChange) onChange(); });
  return h('div', { class: 'field' }, h('label', { for: id, class: attrs.hideLabel ? 'visually-hidden' : null }, label), el);
}

function totalMax(d) {
  return d.criteria.reduce((sum, c) => sum + c.aspects.reduce((s, a) => s + (Number(String(a.max).replace(',', '.')) || 0), 0), 0);
}

function editor(ctx, el, skill) {
  const d = draftOf(skill);
  const c = ctx.comp;
  const isNew = !skill;
  const problemSlot = h('div', { 'aria-live': 'assertive' });
  const total = h('span', { class: 'total-max' });
  const updateTotal = () => { total.textContent = t('admin.total_max', { max: number(totalMax(d), 2) }); };
  const criteriaSlot = h('div', { class: 'criteria' });

  const move = (list, i, delta) => { const j = i + delta; if (j < 0 || j >= list.length) return; [list[i], list[j]] = [list[j], list[i]]; drawCriteria(); };

  function drawCriteria() {
    replace(criteriaSlot, d.criteria.map((cr, ci) => h('fieldset', { class: 'criterion-edit' },
      h('legend', null, t('admin.criterion_n', { code: cr.code || ci + 1 })),
      h('div', { class: 'row criterion-fields' },
        bound(cr, 'code', { size: 4 }, { label: t('admin.code'), pointer: `/criteria/${ci}/code` }),
        h('div', { class: 'grow' }, bound(cr, 'name', {}, { label: t('admin.name'), pointer: `/criteria/${ci}/name` })),
        h('div', { class: 'row tools' },
          h('button', { type: 'button', class: 'button small', 'aria-label': t('admin.move_up'), on: { click: () => move(d.criteria, ci, -1) } }, '↑'),
          h('button', { type: 'button', class: 'button small', 'aria-label': t('admin.move_down'), on: { click: () => move(d.criteria, ci, 1) } }, '↓'),
          h('button', { type: 'button', class: 'button small', on: { click: () => { d.criteria.splice(ci, 1); drawCriteria(); } } }, t('admin.remove')))),
      h('div', { class: 'table-wrap' }, h('table', { class: 'aspects-edit' },
        h('thead', null, h('tr', null, [t('admin.code'), t('admin.description'), t('admin.kind'), t('admin.max'), t('admin.panel'), t('admin.binary'), ''].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', null, cr.aspects.map((a, ai) => {
          const p = `/criteria/${ci}/aspects/${ai}`;
          const binary = h('input', { type: 'checkbox', checked: a.mode === 'binary', disabled: a.kind !== 'measurement', 'aria-label': t('admin.binary') });
          binary.addEventListener('change', () => { a.mode = binary.checked ? 'binary' : null; });
          return h('tr', null,
            h('td', null, bound(a, 'code', { size: 5, hideLabel: true }, { label: t('admin.code'), pointer: `${p}/code` })),
            h('td', null, bound(a, 'description', { hideLabel: true }, { label: t('admin.description'), pointer: `${p}/description` })),
            h('td', null, bound(a, 'kind', { hideLabel: true, options: [{ value: 'measurement', label: t('judge.kind_measurement') }, { value: 'judgement', label: t('judge.kind_judgement') }] }, { label: t('admin.kind'), pointer: `${p}/kind`, onChange: drawCriteria })),
            h('td', null, bound(a, 'max', { size: 6, inputmode: 'decimal', hideLabel: true }, { label: t('admin.max'), pointer: `${p}/max`, onChange: updateTotal })),
            h('td', null, a.kind === 'judgement' ? bound(a, 'panel', { size: 3, inputmode: 'numeric', hideLabel: true }, { label: t('admin.panel'), pointer: `${p}/panel` }) : h('span', { class: 'muted' }, '–')),
            h('td', null, binary),
            h('td', { class: 'actions' },
              h('button', { type: 'button', class: 'button small', 'aria-label': t('admin.move_up'), on: { click: () => move(cr.aspects, ai, -1) } }, '↑'),
              h('button', { type: 'button', class: 'button small', 'aria-label': t('admin.move_down'), on: { click: () => move(cr.aspects, ai, 1) } }, '↓'),
              h('button', { type: 'button', class: 'button small', on: { click: () => { cr.aspects.splice(ai, 1); drawCriteria(); } } }, t('admin.remove'))));
        })))),
      h('button', { type: 'button', class: 'button small', on: { click: () => { cr.aspects.push(blankAspect(`${cr.code}${cr.aspects.length + 1}`)); drawCriteria(); } } }, `+ ${t('admin.add_aspect')}`))));
    updateTotal();
  }

  const settings = h('div', { class: 'fields' },
    isNew ? bound(d, 'code', {}, { label: t('admin.code'), pointer: '/code' }) : h('div', { class: 'field' }, h('span', { class: 'label' }, t('admin.code')), h('code', null, d.code)),
    bound(d, 'name', {}, { label: t('admin.name'), pointer: '/name' }),
    bound(d, 'team_size', { type: 'number' }, { label: t('admin.team_size'), pointer: '/team_size' }),
    bound(d, 'standardise', { options: [{ value: 'none', label: t('admin.standardise_none') }, { value: 'robust700', label: t('admin.standardise_robust700') }] }, { label: t('admin.standardise'), pointer: '/standardise' }),
    bound(d, 'scale_centre', { inputmode: 'decimal' }, { label: t('admin.scale_centre'), pointer: '/scale_centre' }),
    bound(d, 'scale_step', { inputmode: 'decimal' }, { label: t('admin.scale_step'), pointer: '/scale_step' }),
    bound(d, 'tie_tolerance', { inputmode: 'decimal' }, { label: t('admin.tie_tolerance'), pointer: '/tie_tolerance' }),
    bound(d, 'tie_break', { options: [{ value: 'none', label: t('admin.tie_break_none') }, { value: 'criteria_reverse', label: t('admin.tie_break_criteria_reverse') }] }, { label: t('admin.tie_break'), pointer: '/tie_break' }),
    bound(d, 'max_judgement_spread', { type: 'number' }, { label: t('admin.max_spread'), pointer: '/max_judgement_spread' }),
    bound(d.judgement_aggregation, 'method', { options: ['mean', 'median', 'trimmed'].map((m) => ({ value: m, label: t(`admin.aggregation_${m}`) })) }, { label: t('admin.aggregation'), pointer: '/judgement_aggregation/method' }),
    bound(d.judgement_aggregation, 'k', { type: 'number' }, { label: t('admin.trim_k'), pointer: '/judgement_aggregation/k' }),
    bound(d, 'excellence_threshold', { inputmode: 'decimal' }, { label: t('admin.excellence_threshold'), pointer: '/excellence_threshold' }),
    bound(d, 'min_entries_for_medals', { type: 'number' }, { label: t('admin.min_entries'), pointer: '/min_entries_for_medals' }));

  const save = h('button', { type: 'submit', class: 'button primary' }, isNew ? t('admin.create') : t('admin.save'));
  const formEl = h('form', { class: 'card form scheme-form', novalidate: true },
    h('h2', null, t('admin.settings')),
    settings,
    h('h2', null, t('admin.marking_scheme'), ' ', total),
    skill && skill.marks > 0 ? h('p', { class: 'notice warn' }, t('admin.scheme_has_marks', { count: skill.marks })) : null,
    criteriaSlot,
    h('button', { type: 'button', class: 'button', on: { click: () => { const letter = String.fromCharCode(65 + d.criteria.length); d.criteria.push(blankCriterion(letter)); drawCriteria(); } } }, `+ ${t('admin.add_criterion')}`),
    problemSlot,
    h('div', { class: 'row end' },
      skill ? h('button', { type: 'button', class: 'button danger', on: { click: () => deleteSkill(ctx, skill) } }, t('admin.delete')) : null,
      save));
  formEl.addEventListener('submit', async (event) => {
    event.preventDefault();
    save.disabled = true;
    replace(problemSlot);
    try {
      const body = bodyOf(d);
      const saved = isNew ? await ctx.post(path('competitions', c.code, 'skills'), body) : await ctx.put(path('competitions', c.code, 'skills', skill.code), body);
      toast(t('admin.saved'), 'ok');
      await ctx.loadCompetition(c.code);
      ctx.navigate(`#/c/${encodeURIComponent(c.code)}/skills/${encodeURIComponent(saved.code)}`);
    } catch (problem) {
      const unclaimed = showFieldErrors(formEl, problem);
      replace(problemSlot, problemView({ ...problem, errors: unclaimed, code: problem.code, detail: problem.detail, status: problem.status }));
    } finally {
      save.disabled = false;
    }
  });
  drawCriteria();
  replace(el,
    h('p', null, h('a', { href: `#/c/${encodeURIComponent(c.code)}/skills` }, `‹ ${t('admin.nav_skills')}`)),
    h('h1', null, isNew ? t('admin.new_skill') : t('admin.skill_title', { name: skill.name, code: skill.code }), ' ', skill ? stateBadge(skill.state) : null),
    formEl,
    skill ? schemeImportCard(ctx, skill, async () => { await ctx.loadCompetition(c.code); ctx.navigate(`#/c/${encodeURIComponent(c.code)}/skills/${encodeURIComponent(skill.code)}`); }) : null);
}

async function deleteSkill(ctx, skill) {
  const ok = await confirmDialog({ title: t('admin.delete_item', { item: skill.code }), message: t('admin.delete_confirm'), confirm: t('admin.delete'), danger: true });
  if (!ok) return;
  try {
    await ctx.del(path('competitions', ctx.comp.code, 'skills', skill.code));
    toast(t('admin.deleted'), 'ok');
    await ctx.loadCompetition(ctx.comp.code);
    ctx.navigate(`#/c/${encodeURIComponent(ctx.comp.code)}/skills`);
  } catch (problem) {
    toast(problem.detail || problem.code, 'error');
  }
}

export async function render(ctx, el, { rest }) {
  const c = ctx.comp;
  const skills = await ctx.get(path('competitions', c.code, 'skills'));
  if (rest && rest[0] === 'new') return editor(ctx, el, null);
  if (rest && rest[0]) {
    const skill = skills.find((s) => s.code === rest[0]);
    if (skill) return editor(ctx, el, skill);
  }
  const rows = skills.map((s) => h('tr', { dataset: { skill: s.code } },
    h('td', null, h('code', null, s.code)),
    h('td', null, h('a', { href: `#/c/${encodeURIComponent(c.code)}/skills/${encodeURIComponent(s.code)}` }, s.name)),
    h('td', null, stateBadge(s.state)),
    h('td', { class: 'num' }, s.team_size),
    h('td', { class: 'num' }, s.criteria.reduce((n, cr) => n + cr.aspects.length, 0)),
    h('td', { class: 'num' }, number(s.criteria.reduce((sum, cr) => sum + cr.aspects.reduce((x, a) => x + Number(a.max), 0), 0), 2)),
    h('td', { class: 'num' }, s.marks),
    h('td', null, s.standardise === 'robust700' ? t('admin.standardise_robust700') : t('admin.standardise_none'))));
  replace(el,
    h('div', { class: 'row between' }, h('h1', null, t('admin.nav_skills')),
      h('a', { class: 'button primary', href: `#/c/${encodeURIComponent(c.code)}/skills/new` }, `+ ${t('admin.new_skill')}`)),
    h('div', { class: 'card' }, table([t('admin.code'), t('admin.name'), t('admin.state'), { label: t('admin.team_size'), num: true }, { label: t('admin.aspects'), num: true }, { label: t('admin.max'), num: true }, { label: t('admin.marks'), num: true }, t('admin.standardise')], rows)));
}
