import { describe, expect, it } from 'vitest';
import { linkify, mentionedIds, mentionQueryAt, safeHref, segmentsOf, suggestMentions } from './text';

describe('links', () => {
  it('links http and https URLs only', () => {
    expect(safeHref('https://example.com/a?b=1')).toBe('https://example.com/a?b=1');
    expect(safeHref('www.example.com')).toBe('https://www.example.com/');
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('data:text/html,<script>')).toBeNull();
    expect(safeHref('ftp://example.com')).toBeNull();
  });

  it('splits text around links and leaves trailing punctuation out', () => {
    expect(linkify('see https://example.com/x, and (http://a.org/b).')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/x', href: 'https://example.com/x' },
      { kind: 'text', text: ', and (' },
      { kind: 'link', text: 'http://a.org/b', href: 'http://a.org/b' },
      { kind: 'text', text: ').' },
    ]);
  });

  it('keeps a parenthesis that belongs to the URL', () => {
    const [seg] = linkify('https://en.wikipedia.org/wiki/Foo_(bar)');
    expect(seg).toMatchObject({ kind: 'link', text: 'https://en.wikipedia.org/wiki/Foo_(bar)' });
  });

  it('does not link markup or script URLs', () => {
    const text = '<a href="javascript:alert(1)">x</a> <img src=x onerror=alert(1)>';
    expect(linkify(text)).toEqual([{ kind: 'text', text }]);
  });
});

describe('mentions', () => {
  const members = new Map([
    ['ann', 'u1'],
    ['bob_2', 'u2'],
  ]);

  it('finds mentions of members only', () => {
    expect(mentionedIds('hi @ann and @Bob_2, not @carol or mail@ann.com', members)).toEqual(['u1', 'u2']);
  });

  it('marks mentions as segments between text', () => {
    expect(segmentsOf('hey @ann!', members)).toEqual([
      { kind: 'text', text: 'hey ' },
      { kind: 'mention', text: '@ann', userId: 'u1' },
      { kind: 'text', text: '!' },
    ]);
  });

  it('finds the @query being typed at the caret', () => {
    expect(mentionQueryAt('hello @an', 9)).toEqual({ start: 6, query: 'an' });
    expect(mentionQueryAt('hello @', 7)).toEqual({ start: 6, query: '' });
    expect(mentionQueryAt('mail@an', 7)).toBeNull();
    expect(mentionQueryAt('hello @ann ', 11)).toBeNull();
  });

  it('suggests by username, then display name', () => {
    const people = [
      { id: '1', username: 'zed', display_name: 'Ann Zed' },
      { id: '2', username: 'anna', display_name: 'Anna' },
      { id: '3', username: 'bob', display_name: 'Bob' },
    ];
    expect(suggestMentions(people, 'an').map((p) => p.id)).toEqual(['2', '1']);
    expect(suggestMentions(people, 'ze').map((p) => p.id)).toEqual(['1']);
  });
});
