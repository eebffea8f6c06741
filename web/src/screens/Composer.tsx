import { useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useStore } from '../app/context';
import { Avatar } from '../components/Avatar';
import { Icon } from '../components/Icon';
import { nameOf } from '../components/names';
import { describeError } from '../lib/api';
import { uploadFile } from '../lib/media';
import { fileSize, mentionedIds, mentionQueryAt, suggestMentions } from '../lib/text';
import type { Attachment, Message, PublicProfile } from '../lib/types';
import { previewOf } from '../lib/view';

export type ComposerMode = { kind: 'new' } | { kind: 'reply'; message: Message } | { kind: 'edit'; message: Message };

interface UploadItem {
  id: string;
  file: File;
  progress: number;
  status: 'uploading' | 'done' | 'error';
  error?: string;
  attachment?: Attachment;
  preview?: string;
  abort: () => void;
}

// Unsent text per chat, kept while the app runs.
const drafts = new Map<string, string>();
const MAX_BODY_BYTES = 16384;

export function Composer({
  chatId,
  mode,
  setMode,
  members,
  usernames,
  users,
  onSent,
  onError,
}: {
  chatId: string;
  mode: ComposerMode;
  setMode: (m: ComposerMode) => void;
  members: PublicProfile[];
  usernames: ReadonlyMap<string, string>;
  users: Record<string, PublicProfile>;
  onSent: () => void;
  onError: (e: string | null) => void;
}) {
  const store = useStore();
  const [text, setText] = useState(() => drafts.get(chatId) ?? '');
  const [uploads, setUploads] = useState<UploadItem[]>([]);
  const [suggest, setSuggest] = useState<{ start: number; items: PublicProfile[]; index: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const listId = useId();
  const editing = mode.kind === 'edit';

  useEffect(() => {
    if (!editing) drafts.set(chatId, text);
  }, [chatId, text, editing]);

  // Entering edit mode puts the message in the box; leaving it restores the draft. Done
  // while rendering (not in an effect) so the box never shows the old text.
  const [shownMode, setShownMode] = useState(mode);
  if (shownMode !== mode) {
    setShownMode(mode);
    if (mode.kind === 'edit') setText(mode.message.body);
    else if (shownMode.kind === 'edit') setText(drafts.get(chatId) ?? '');
  }
  useEffect(() => {
    if (mode.kind !== 'new') area.current?.focus();
  }, [mode]);

  // Where the caret goes after the text was replaced (a picked mention), applied right
  // after React wrote the new value, before any further keystroke.
  const caretAfter = useRef<number | null>(null);
  useLayoutEffect(() => {
    const el = area.current;
    if (el && caretAfter.current !== null) {
      el.setSelectionRange(caretAfter.current, caretAfter.current);
      caretAfter.current = null;
    }
  }, [text]);

  // Grow with the text, up to a limit.
  useLayoutEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 180)}px`;
  }, [text]);

  useEffect(
    () => () => {
      for (const u of uploads) if (u.preview) URL.revokeObjectURL(u.preview);
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );

  const updateSuggestions = (value: string, caret: number) => {
    const q = mentionQueryAt(value, caret);
    if (!q || members.length === 0) {
      setSuggest(null);
      return;
    }
    const items = suggestMentions(members, q.query);
    setSuggest(items.length ? { start: q.start, items, index: 0 } : null);
  };

  const pick = (u: PublicProfile) => {
    const el = area.current;
    if (!el || !suggest) return;
    const caret = el.selectionStart ?? text.length;
    const next = `${text.slice(0, suggest.start)}@${u.username} ${text.slice(caret)}`;
    const pos = suggest.start + u.username.length + 2;
    caretAfter.current = pos;
    setText(next);
    setSuggest(null);
    el.focus();
  };

  const addFiles = (files: FileList | File[]) => {
    const list = [...files].slice(0, 10 - uploads.length);
    for (const file of list) {
      const id = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const preview = file.type.startsWith('image/') ? URL.createObjectURL(file) : undefined;
      const up = uploadFile(store.api, file, (progress) =>
        setUploads((all) => all.map((x) => (x.id === id ? { ...x, progress } : x))),
      );
      setUploads((all) => [...all, { id, file, progress: 0, status: 'uploading', preview, abort: up.abort }]);
      up.attachment.then(
        (attachment) => setUploads((all) => all.map((x) => (x.id === id ? { ...x, status: 'done', progress: 1, attachment } : x))),
        (e) => setUploads((all) => all.map((x) => (x.id === id ? { ...x, status: 'error', error: describeError(e) } : x))),
      );
    }
  };

  const removeUpload = (id: string) => {
    setUploads((all) => {
      const u = all.find((x) => x.id === id);
      u?.abort();
      if (u?.preview) URL.revokeObjectURL(u.preview);
      return all.filter((x) => x.id !== id);
    });
  };

  const uploading = uploads.some((u) => u.status === 'uploading');
  const ready = uploads.filter((u) => u.status === 'done' && u.attachment);
  const tooLong = new TextEncoder().encode(text).length > MAX_BODY_BYTES;
  const canSend = !busy && !uploading && !tooLong && (text.trim().length > 0 || (!editing && ready.length > 0));

  const submit = async () => {
    if (!canSend) return;
    onError(null);
    const body = text.trim();
    if (mode.kind === 'edit') {
      if (body === mode.message.body) {
        setMode({ kind: 'new' });
        setText(drafts.get(chatId) ?? '');
        return;
      }
      setBusy(true);
      try {
        await store.edit(chatId, mode.message.id, body);
        setMode({ kind: 'new' });
        setText(drafts.get(chatId) ?? '');
      } catch (e) {
        onError(describeError(e));
      } finally {
        setBusy(false);
      }
      return;
    }
    store.send(chatId, {
      body,
      reply_to: mode.kind === 'reply' ? mode.message.id : null,
      mentions: mentionedIds(body, usernames),
      attachments: ready.map((u) => u.attachment!),
    });
    for (const u of ready) if (u.preview) URL.revokeObjectURL(u.preview);
    setUploads((all) => all.filter((u) => u.status !== 'done'));
    setText('');
    drafts.delete(chatId);
    setSuggest(null);
    if (mode.kind === 'reply') setMode({ kind: 'new' });
    onSent();
    area.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (suggest) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const d = e.key === 'ArrowDown' ? 1 : -1;
        setSuggest({ ...suggest, index: (suggest.index + d + suggest.items.length) % suggest.items.length });
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        pick(suggest.items[suggest.index]!);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setSuggest(null);
        return;
      }
    }
    if (e.key === 'Escape' && mode.kind !== 'new') {
      e.preventDefault();
      setMode({ kind: 'new' });
      if (mode.kind === 'edit') setText(drafts.get(chatId) ?? '');
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  };

  return (
    <div
      className="composer"
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) e.preventDefault();
      }}
      onDrop={(e) => {
        if (e.dataTransfer.files.length) {
          e.preventDefault();
          addFiles(e.dataTransfer.files);
        }
      }}
    >
      {mode.kind !== 'new' && (
        <div className="composer-context">
          <Icon name={mode.kind === 'edit' ? 'edit' : 'reply'} size={16} />
          <div className="composer-context-text">
            <strong>{mode.kind === 'edit' ? 'Edit message' : `Reply to ${nameOf(users, mode.message.sender_id)}`}</strong>
            <span>{previewOf(mode.message)}</span>
          </div>
          <button
            type="button"
            className="icon-button small"
            onClick={() => {
              setMode({ kind: 'new' });
              if (mode.kind === 'edit') setText(drafts.get(chatId) ?? '');
            }}
            aria-label={mode.kind === 'edit' ? 'Cancel editing' : 'Cancel reply'}
          >
            <Icon name="close" size={16} />
          </button>
        </div>
      )}
      {uploads.length > 0 && (
        <ul className="upload-tray" aria-label="Attachments">
          {uploads.map((u) => (
            <li key={u.id} className={`upload ${u.status}`} data-status={u.status}>
              {u.preview ? <img src={u.preview} alt="" /> : <Icon name="file" size={22} />}
              <div className="upload-meta">
                <span className="upload-name">{u.file.name}</span>
                <span className="upload-size">{u.status === 'error' ? u.error : fileSize(u.file.size)}</span>
                {u.status !== 'error' && (
                  <progress max={1} value={u.progress} aria-label={`Uploading ${u.file.name}`}>
                    {Math.round(u.progress * 100)}%
                  </progress>
                )}
              </div>
              <button type="button" className="icon-button small" onClick={() => removeUpload(u.id)} aria-label={`Remove ${u.file.name}`}>
                <Icon name="close" size={14} />
              </button>
            </li>
          ))}
        </ul>
      )}
      {suggest && (
        <ul className="mention-suggestions" id={listId} role="listbox" aria-label="Mention someone">
          {suggest.items.map((u, i) => (
            <li
              key={u.id}
              role="option"
              aria-selected={i === suggest.index}
              className={i === suggest.index ? 'active' : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(u);
              }}
            >
              <Avatar name={u.display_name || u.username} seed={u.id} url={u.avatar_url} size={26} />
              <span className="mention-name">{u.display_name || u.username}</span>
              <span className="muted">@{u.username}</span>
            </li>
          ))}
        </ul>
      )}
      <div className="composer-row">
        {!editing && (
          <>
            <button type="button" className="icon-button" onClick={() => fileInput.current?.click()} aria-label="Attach files" disabled={uploads.length >= 10}>
              <Icon name="attach" />
            </button>
            <input
              ref={fileInput}
              type="file"
              multiple
              hidden
              data-testid="file-input"
              onChange={(e) => {
                if (e.target.files) addFiles(e.target.files);
                e.target.value = '';
              }}
            />
          </>
        )}
        <label htmlFor={`${listId}-input`} className="sr-only">
          {editing ? 'Edit message' : 'Message'}
        </label>
        <textarea
          id={`${listId}-input`}
          ref={area}
          rows={1}
          value={text}
          placeholder={editing ? 'Edit your message' : 'Write a message…'}
          onChange={(e) => {
            setText(e.target.value);
            updateSuggestions(e.target.value, e.target.selectionStart ?? e.target.value.length);
            if (e.target.value.trim() && !editing) store.typing(chatId);
          }}
          onKeyDown={onKeyDown}
          onClick={(e) => updateSuggestions(text, e.currentTarget.selectionStart ?? text.length)}
          onPaste={(e) => {
            if (!editing && e.clipboardData.files.length) {
              e.preventDefault();
              addFiles(e.clipboardData.files);
            }
          }}
          onBlur={() => setTimeout(() => setSuggest(null), 150)}
          aria-autocomplete="list"
          aria-controls={suggest ? listId : undefined}
          aria-expanded={!!suggest}
          aria-invalid={tooLong || undefined}
        />
        <button
          type="button"
          className="send-button"
          onClick={() => void submit()}
          disabled={!canSend}
          aria-label={editing ? 'Save' : 'Send'}
        >
          <Icon name={editing ? 'check' : 'send'} />
        </button>
      </div>
      {tooLong && (
        <p className="form-error small" role="alert">
          This message is too long.
        </p>
      )}
    </div>
  );
}
