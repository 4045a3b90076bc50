import { useEffect, useState } from 'react';
import { t } from '../i18n/index.ts';

type Theme = 'light' | 'dark';
const KEY = 'mc.theme';

function initialTheme(): Theme {
  const stored = localStorage.getItem(KEY);
  if (stored === 'light' || stored === 'dark') return stored;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** Light/dark toggle; follows `prefers-color-scheme` until the user picks one. */
export function ThemeToggle(): React.JSX.Element {
  const [theme, setTheme] = useState<Theme>(initialTheme);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  useEffect(() => {
    const media = matchMedia('(prefers-color-scheme: dark)');
    const follow = (e: MediaQueryListEvent): void => {
      if (!localStorage.getItem(KEY)) setTheme(e.matches ? 'dark' : 'light');
    };
    media.addEventListener('change', follow);
    return () => media.removeEventListener('change', follow);
  }, []);
  const next: Theme = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      className="icon-button"
      data-testid="theme-toggle"
      aria-label={t.theme.toggle}
      title={next === 'dark' ? t.theme.dark : t.theme.light}
      onClick={() => {
        localStorage.setItem(KEY, next);
        setTheme(next);
      }}
    >
      {theme === 'dark' ? '☀' : '☾'}
    </button>
  );
}
