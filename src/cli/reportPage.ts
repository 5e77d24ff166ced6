/**
 * The page every Merge Lens HTML report is printed on: one self-contained document, tables and
 * SVG figures inline, no script and nothing fetched (its Content-Security-Policy forbids both), so
 * it can be mailed, archived, or printed into a paper's appendix as it is: the pair report
 * (htmlReport.ts) and the series report (seriesHtml.ts).
 */
import { OKABE_ITO } from '../shared/presentation/methodStyles';
import { escapeHtml } from './htmlEscape';

export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** A paper's look: serif text, booktabs-like tables, figures that do not break across pages. */
export const REPORT_STYLE = `
body { font-family: Georgia, 'Times New Roman', serif; color: #222; background: #fff; max-width: 1060px; margin: 28px auto; padding: 0 24px; line-height: 1.45; }
h1 { font-size: 23px; margin: 0 0 4px; font-weight: normal; }
h2 { font-size: 16px; margin: 30px 0 8px; font-weight: bold; }
.subtitle { color: #555; margin: 0 0 14px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; font-size: 13.5px; margin: 0; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.warnings { border-left: 4px solid ${OKABE_ITO.vermillion}; background: #fdf1e8; padding: 8px 14px; margin: 16px 0; font-size: 14px; }
.warnings ul { margin: 4px 0; padding-left: 20px; }
table { border-collapse: collapse; font-family: Helvetica, Arial, sans-serif; font-size: 12.5px; margin: 6px 0 4px; border-top: 1.5px solid #222; border-bottom: 1.5px solid #222; }
th, td { padding: 4px 12px; text-align: left; vertical-align: top; }
td:first-child { white-space: nowrap; }
thead th { border-bottom: 0.8px solid #222; font-weight: bold; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.wide th, table.wide td { padding: 4px 6px; }
thead th.group { text-align: center; border-bottom: 0.5px solid #888; }
tbody tr.layer-start td { border-top: 0.5px solid #ccc; }
tr.invalid td { background: #fbeaea; }
.fail { color: #b00020; font-weight: bold; }
.ok { color: #1b6e3a; }
.caption { font-size: 13.5px; margin: 6px 0 0; max-width: 980px; }
.caption b { font-weight: bold; }
figure { margin: 22px 0 10px; page-break-inside: avoid; }
.panels { display: flex; flex-wrap: wrap; gap: 8px 22px; align-items: flex-start; }
.panel-label { font-family: Helvetica, Arial, sans-serif; font-size: 12px; font-weight: bold; margin: 0 0 2px 4px; }
.details { font-family: Helvetica, Arial, sans-serif; font-size: 12px; color: #444; }
.moved { margin: 0 0 0 46px; }
footer { margin: 34px 0 10px; font-size: 12px; color: #666; border-top: 0.8px solid #ccc; padding-top: 8px; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; } }
`;

/** The whole document (UTF-8): `title` in the tab, `extraStyle` after the common rules, `footer` as plain text. */
export function reportPage(options: { readonly title: string; readonly body: string; readonly footer: string; readonly extraStyle?: string }): string {
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(options.title)}</title>` +
    `<style>${REPORT_STYLE}${options.extraStyle ?? ''}</style></head><body>${options.body}` +
    `<footer>${escapeHtml(options.footer)} This page is self-contained: no scripts, nothing loaded from elsewhere.</footer>` +
    `</body></html>\n`
  );
}
