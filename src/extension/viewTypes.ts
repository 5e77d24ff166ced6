/**
 * The view types of the editor's webview panels. VS Code restores a panel with the window by its
 * view type, after activating the extension for it: package.json names each in an
 * `onWebviewPanel:TYPE` activation event.
 */
export const RESULTS_VIEW_TYPE = 'mergeLens.results';
export const SERIES_VIEW_TYPE = 'mergeLens.series';
