import { cleanup, fireEvent, render } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { msg } from '../test/fakes';
import type { Message } from '../lib/types';
import { MessageItem, PendingItem } from './MessageItem';

afterEach(cleanup);

function renderItem(message: Message, patch: Partial<Parameters<typeof MessageItem>[0]> = {}) {
  const handlers = { onReply: vi.fn(), onEdit: vi.fn(), onDelete: vi.fn(), onReact: vi.fn() };
  const r = render(
    <MessageItem
      chatId="c1"
      message={message}
      first
      last
      mine={message.sender_id === 'me'}
      group={false}
      me="me"
      users={{ bob: { id: 'bob', username: 'bob', display_name: 'Bob', bio: '', avatar_url: '', created_at: '' } }}
      usernames={new Map()}
      cursors={{ bob: { read_seq: 0, delivered_seq: 0 } }}
      replyTo={undefined}
      canDelete
      {...handlers}
      {...patch}
    />,
  );
  return { ...r, handlers };
}

describe('MessageItem', () => {
  it('shows the delivery state of one’s own message', () => {
    const m = msg(3, { sender_id: 'me' });
    const sent = renderItem(m);
    expect(sent.container.querySelector('[data-tick]')?.getAttribute('data-tick')).toBe('stored');
    cleanup();
    const delivered = renderItem(m, { cursors: { bob: { read_seq: 0, delivered_seq: 3 } } });
    expect(delivered.container.querySelector('[data-tick]')?.getAttribute('aria-label')).toBe('Delivered');
    cleanup();
    const read = renderItem(m, { cursors: { bob: { read_seq: 5, delivered_seq: 5 } } });
    expect(read.container.querySelector('[data-tick]')?.getAttribute('data-tick')).toBe('read');
  });

  it('marks edited and deleted messages, without actions on a tombstone', () => {
    const edited = renderItem(msg(1, { edited_at: '2030-01-01T00:00:00Z' }));
    expect(edited.getByText('edited')).toBeTruthy();
    cleanup();
    const gone = renderItem(msg(2, { deleted: true, body: '' }));
    expect(gone.getByText('This message was deleted')).toBeTruthy();
    expect(gone.queryByRole('toolbar')).toBeNull();
  });

  it('offers edit only on one’s own messages and reacts with a picked emoji', () => {
    const theirs = renderItem(msg(1, { sender_id: 'bob' }), { canDelete: false });
    expect(theirs.queryByRole('button', { name: 'Edit' })).toBeNull();
    expect(theirs.queryByRole('button', { name: 'Delete' })).toBeNull();
    fireEvent.click(theirs.getByRole('button', { name: 'React' }));
    fireEvent.click(theirs.getByRole('menuitem', { name: 'React with 🎉' }));
    expect(theirs.handlers.onReact).toHaveBeenCalledWith(expect.objectContaining({ seq: 1 }), '🎉');
  });

  it('shows a failed send with a retry that keeps the message', () => {
    const onRetry = vi.fn();
    const r = render(
      <PendingItem
        pending={{
          client_id: 'k',
          chat_id: 'c1',
          sender_id: 'me',
          body: '<b>hi</b>',
          reply_to: null,
          mentions: [],
          attachments: [],
          created_at: new Date().toISOString(),
          status: 'failed',
          error: 'too long',
        }}
        first
        last
        usernames={new Map()}
        me="me"
        replyTo={undefined}
        users={{}}
        onRetry={onRetry}
        onDiscard={() => {}}
      />,
    );
    expect(r.container.querySelector('.message-text')?.textContent).toBe('<b>hi</b>');
    fireEvent.click(r.getByRole('button', { name: 'Try again' }));
    expect(onRetry).toHaveBeenCalled();
  });
});
