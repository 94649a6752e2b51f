// The comment–response record: read from the JSON-lines stream
// GET /v1/consultations/{c}:exportRecord and offered as a CSV file built in
// the browser, or as the JSON lines themselves.

import { jsonLines } from './api.js';
import { session } from './session.js';
import { h, idOf, withButton, download, orgTypeLabel, commentTypeLabel, outcomeLabel, announce } from './ui.js';
import { t } from './i18n.js';

const COLUMNS = [
  ['round', (r) => r.round || 0],
  ['draft_version', (r) => r.draftVersion || 0],
  ['section_order', (r) => (r.sectionOrder || 0) + 1],
  ['section_key', (r) => r.sectionKey || ''],
  ['section_title', (r) => r.sectionTitle || ''],
  ['comment', (r) => idOf(r.comment)],
  ['in_reply_to', (r) => idOf(r.parent)],
  ['author_organisation', (r) => r.authorOrganisation || ''],
  ['author_organisation_type', (r) => (r.authorOrganisationType ? orgTypeLabel(r.authorOrganisationType) : '')],
  ['author_country', (r) => r.authorCountry || ''],
  ['type', (r) => commentTypeLabel(r.type)],
  ['quoted_passage', (r) => r.quote || ''],
  ['comment_text', (r) => r.body || ''],
  ['proposed_change', (r) => r.proposedChange || ''],
  ['language', (r) => r.language || ''],
  ['endorsements', (r) => r.endorsementCount || 0],
  ['disposition', (r) => (r.disposition && r.disposition !== 'OUTCOME_UNSPECIFIED' ? outcomeLabel(r.disposition) : '')],
  ['response', (r) => r.response || ''],
  ['comment_time', (r) => r.createTime || ''],
  ['disposition_time', (r) => r.dispositionTime || ''],
];

/** One CSV cell (RFC 4180), defused against spreadsheet formulas. */
export function csvCell(value) {
  let text = String(value ?? '');
  if (/^[=+@\t\r]/.test(text) || /^-[^\s-]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function recordToCsv(rows) {
  const lines = [COLUMNS.map(([name]) => name).join(',')];
  for (const row of rows) lines.push(COLUMNS.map(([, get]) => csvCell(get(row))).join(','));
  // A byte order mark, so that spreadsheet programs read UTF-8.
  return `\ufeff${lines.join('\r\n')}\r\n`;
}

/** Reads the record of a round (0: the latest, as the API says). */
export async function readRecord(consultationName, round, { signal } = {}) {
  const rows = [];
  for await (const row of jsonLines(`${consultationName}:exportRecord`, { round: round || undefined }, { signal })) {
    rows.push(row);
  }
  return rows;
}

/**
 * Controls to download the record: a round (the published ones; every
 * round for the secretariat), CSV or JSON lines, and a status line.
 */
export function exportControls(consultation) {
  const id = idOf(consultation.name);
  const rounds = (consultation.rounds || []).filter((r) => session.isSecretariat || r.publishTime);
  const select = h('select', { 'data-testid': 'export-round' },
    rounds.slice().reverse().map((r) => h('option', {
      value: String(r.number),
      text: t('record.roundOption', { n: r.number, published: !!r.publishTime }),
    })));
  const status = h('p', { class: 'muted small', role: 'status', 'data-testid': 'export-status' });
  const run = (format) => async (event) => {
    const round = Number(select.value || 0);
    await withButton(event.currentTarget, async () => {
      status.textContent = t('record.preparing');
      try {
        const rows = await readRecord(consultation.name, round);
        const base = `${id}-round-${round}-comment-response-record`;
        if (format === 'csv') {
          download(`${base}.csv`, recordToCsv(rows), 'text/csv;charset=utf-8');
        } else {
          download(`${base}.jsonl`, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''), 'application/x-ndjson');
        }
        status.textContent = t('record.downloaded', { n: rows.length, format: format === 'csv' ? 'CSV' : 'JSON lines' });
        announce(status.textContent);
      } catch (error) {
        status.textContent = '';
        throw error;
      }
    });
  };
  if (!rounds.length) return h('p', { class: 'muted', text: t('record.none') });
  const roundId = `export-round-${id}`;
  select.id = roundId;
  return h('div', { class: 'export-controls', 'data-testid': 'export-controls' },
    h('div', { class: 'field inline' }, h('label', { for: roundId, text: t('record.round') }), select),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'button secondary', text: t('record.csv'), 'data-testid': 'export-csv', onclick: run('csv') }),
      h('button', { type: 'button', class: 'button secondary', text: t('record.jsonl'), 'data-testid': 'export-jsonl', onclick: run('jsonl') })),
    status);
}
