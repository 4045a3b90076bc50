/* global window */
// Applies the saved or preferred theme before first paint (external: the CSP forbids inline scripts).
(function applyTheme(w) {
  var root = w.document.documentElement;
  try {
    var theme = w.localStorage.getItem('mc.theme');
    if (theme !== 'light' && theme !== 'dark') theme = w.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
    root.dataset.theme = theme;
  } catch {
    root.dataset.theme = 'light';
  }
})(window);
