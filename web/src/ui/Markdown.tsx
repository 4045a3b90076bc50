import { lazy, Suspense } from 'react';

// The markdown pipeline (micromark, mdast, hast) is only needed where documents are read.
const ReactMarkdown = lazy(() => import('react-markdown'));

// react-markdown shows raw HTML as text; a comment line is a server mark (CHRONICLE.md's seq), not for readers.
const COMMENT_LINE = /^<!--[^\n]*-->[ \t]*$/gm;

export function Markdown({ children }: { children: string }): React.JSX.Element {
  return (
    <Suspense fallback={<pre className="markdown-fallback">{children}</pre>}>
      <ReactMarkdown>{children.replace(COMMENT_LINE, '')}</ReactMarkdown>
    </Suspense>
  );
}
