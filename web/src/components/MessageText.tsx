import { useMemo } from 'react';
import { segmentsOf } from '../lib/text';

/**
 * A message body as React text nodes: markup stays visible characters. http(s) links open
 * in a new tab without access to this page; @mentions of members are highlighted.
 */
export function MessageText({ text, usernames, me }: { text: string; usernames: ReadonlyMap<string, string>; me?: string }) {
  const segments = useMemo(() => segmentsOf(text, usernames), [text, usernames]);
  return (
    <>
      {segments.map((s, i) => {
        if (s.kind === 'link')
          return (
            <a key={i} href={s.href} target="_blank" rel="noopener noreferrer">
              {s.text}
            </a>
          );
        if (s.kind === 'mention')
          return (
            <span key={i} className={s.userId === me ? 'mention me' : 'mention'}>
              {s.text}
            </span>
          );
        return <span key={i}>{s.text}</span>;
      })}
    </>
  );
}
