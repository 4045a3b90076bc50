/** Renders a comment with its @mentions highlighted. */
export function WithMentions({ text }: { text: string }): React.JSX.Element {
  const parts = text.split(/(@[a-z0-9][a-z0-9-]{0,39}|@all)\b/g);
  return (
    <>
      {parts.map((part, i) =>
        part.startsWith('@') ? (
          <span key={i} className="mention">
            {part}
          </span>
        ) : (
          <span key={i}>{part}</span>
        ),
      )}
    </>
  );
}

/** The word being typed after an '@', if the caret is in one. */
export function mentionQuery(text: string, caret: number): string | null {
  const m = /(^|\s)@([a-z0-9-]*)$/.exec(text.slice(0, caret));
  return m ? m[2]! : null;
}
