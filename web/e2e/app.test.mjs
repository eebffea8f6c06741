// End-to-end: the built client served by the real parley binary, three people in three
// browser contexts of Debian's Chromium. Runs in order; each step builds on the last.
//   PARLEY_BIN=build/asan/bin/parley node --test e2e/

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, mailedCode, screenshot, startServer, webRoot } from './harness.mjs';
import { makePng } from './png.mjs';

const T = 15_000; // default wait for something to show up
const PASSWORD = 'correct horse battery staple';

const people = {
  ann: { email: 'ann@example.com', username: 'ann', name: 'Ann Lee' },
  bob: { email: 'bob@example.com', username: 'bob', name: 'Bob Stone' },
  cat: { email: 'cat@example.com', username: 'carol', name: 'Carol King' },
};

let server;
let browser;
const ctx = {};
const page = {};
const dialogs = [];
const pageErrors = [];
const timings = [];

async function newPerson(key, viewport = { width: 1280, height: 820 }) {
  ctx[key] = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const p = await ctx[key].newPage();
  p.setDefaultTimeout(T);
  p.on('dialog', async (d) => {
    dialogs.push(`${key}: ${d.type()} ${d.message()}`);
    await d.dismiss();
  });
  p.on('pageerror', (e) => pageErrors.push(`${key}: ${e.message}`));
  page[key] = p;
  return p;
}

async function signUp(p, who) {
  await p.goto(`${server.url}/signup`);
  await p.getByLabel('E-mail').fill(who.email);
  await p.getByLabel('Username').fill(who.username);
  await p.getByLabel('Display name (optional)').fill(who.name);
  await p.getByLabel('Password').fill(PASSWORD);
  await p.getByRole('button', { name: 'Create account' }).click();
  await p.waitForURL(/\/verify\?/);
  const code = await mailedCode(server.dataDir, who.email);
  await p.getByLabel('Verification code').fill(code);
  await p.getByRole('button', { name: 'Verify' }).click();
  await p.waitForURL(/\/chats$/);
  await p.locator('.sidebar').waitFor();
}

async function signIn(p, who, password = PASSWORD) {
  await p.goto(`${server.url}/login`);
  await p.getByLabel('E-mail').fill(who.email);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.waitForURL(/\/chats/);
  await p.locator('.sidebar').waitFor();
}

async function openChat(p, title) {
  const exact = new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  await p.locator('.chat-row').filter({ has: p.locator('.chat-row-title', { hasText: exact }) }).first().click();
  await p.locator('.conversation-title h2', { hasText: title }).waitFor();
}

async function send(p, text) {
  const box = p.locator('.composer textarea');
  await box.fill(text);
  await box.press('Enter');
}

/** Bodies of the stored messages in the open conversation, in DOM order, with their seq. */
function stored(p) {
  return p.$$eval('.conversation .message[data-seq]', (els) =>
    els.map((e) => ({
      seq: Number(e.getAttribute('data-seq')),
      text: e.querySelector('.message-text')?.textContent ?? '',
      deleted: e.classList.contains('deleted'),
    })),
  );
}

async function waitForMessage(p, text) {
  await p.locator('.conversation .message[data-seq] .message-text', { hasText: text }).first().waitFor();
}

async function step(name, fn) {
  const t0 = performance.now();
  try {
    await fn();
  } catch (e) {
    // What each person saw when it failed, for the log and e2e/artifacts/.
    for (const [who, p] of Object.entries(page)) {
      await screenshot(p, `../artifacts/failed-${name.replace(/\W+/g, '-')}-${who}`).catch(() => undefined);
    }
    console.log(`server log (tail):\n${server.log().slice(-3000)}`);
    throw e;
  } finally {
    timings.push([name, Math.round(performance.now() - t0)]);
  }
}

describe('parley web client', { concurrency: false }, () => {
  before(async () => {
    assert.ok(existsSync(path.join(webRoot, 'dist/index.html')), 'build the client first (npm run build)');
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    const exit = await server?.stop();
    console.log('e2e step timings (ms):', JSON.stringify(timings));
    if (pageErrors.length) console.log('page errors:', pageErrors);
    console.log('parley exit:', JSON.stringify(exit));
    // A clean shutdown on SIGTERM; a sanitizer report at exit aborts or exits non-zero.
    if (server) assert.ok(exit && (exit.code === 0 || exit.signal === 'SIGTERM'), `parley exited with ${JSON.stringify(exit)}`);
  });

  test('sign-in page, sign up with the e-mailed code, session survives a reload', async () => {
    await step('sign up', async () => {
      const ann = await newPerson('ann');
      await ann.goto(server.url);
      await ann.waitForURL(/\/login/);
      await ann.getByRole('heading', { name: 'Welcome back' }).waitFor();
      await screenshot(ann, 'sign-in');
      await signUp(ann, people.ann);
      await ann.reload();
      await ann.locator('.sidebar').waitFor();
      assert.match(ann.url(), /\/chats$/);
      await ann.locator('.chat-list-empty').waitFor();

      const bob = await newPerson('bob');
      await signUp(bob, people.bob);
    });
  });

  test('start a 1:1 chat and talk in real time with typing, receipts and presence', async () => {
    await step('direct chat', async () => {
      const { ann, bob } = page;
      await ann.locator('.sidebar-actions').getByRole('button', { name: 'New chat' }).click();
      await ann.getByLabel('Find people by name or username').fill('bo');
      await ann.getByRole('button', { name: `Chat with ${people.bob.name}` }).click();
      await ann.locator('.conversation-title h2', { hasText: people.bob.name }).waitFor();
      // Bob is connected: Ann sees him online.
      await ann.locator('[data-testid="conversation-status"]', { hasText: 'online' }).waitFor();

      await send(ann, 'Hello Bob! 👋');
      await waitForMessage(ann, 'Hello Bob!');
      // The new chat reaches Bob live, with an unread badge.
      const row = bob.locator('.chat-row', { hasText: people.ann.name });
      await row.locator('.badge').waitFor();
      assert.equal(await row.locator('.badge').textContent(), '1');
      await row.click();
      await waitForMessage(bob, 'Hello Bob!');
      // Bob read it: Ann's tick turns to "read".
      await ann.locator('.message.mine[data-seq="1"] [data-tick="read"]').waitFor();

      // Typing shows on the other side.
      await bob.locator('.composer textarea').pressSequentially('Hi Ann', { delay: 30 });
      await ann.locator('[data-testid="typing-indicator"]').waitFor();
      await bob.locator('.composer textarea').press('Enter');
      await waitForMessage(ann, 'Hi Ann');
      await ann.locator('[data-testid="typing-indicator"]').waitFor({ state: 'detached' });

      // A link is clickable and safe.
      await send(bob, 'See https://example.com/docs?x=1 and javascript:alert(1)');
      await waitForMessage(ann, 'See https://example.com');
      const link = ann.locator('.message-text a', { hasText: 'https://example.com/docs?x=1' });
      assert.equal(await link.getAttribute('href'), 'https://example.com/docs?x=1');
      assert.equal(await link.getAttribute('target'), '_blank');
      assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
      assert.equal(await ann.locator('.message-text a[href^="javascript"]').count(), 0);
      await screenshot(ann, 'conversation');
    });
  });

  test('edit and delete reach the other side', async () => {
    await step('edit and delete', async () => {
      const { ann, bob } = page;
      await send(ann, 'This has a tpyo');
      await waitForMessage(bob, 'This has a tpyo');
      const mine = ann.locator('.message.mine', { hasText: 'This has a tpyo' });
      await mine.hover();
      await mine.getByRole('button', { name: 'Edit' }).click();
      const box = ann.locator('.composer textarea');
      await ann.waitForFunction(() => document.querySelector('.composer textarea')?.value === 'This has a tpyo');
      await box.fill('This has no typo');
      await box.press('Enter');
      const edited = bob.locator('.message', { hasText: 'This has no typo' });
      await edited.locator('.edited').waitFor();

      await send(ann, 'Oops, wrong chat');
      await waitForMessage(bob, 'Oops, wrong chat');
      const oops = ann.locator('.message.mine', { hasText: 'Oops, wrong chat' });
      await oops.hover();
      await oops.getByRole('button', { name: 'Delete' }).click();
      await ann.getByRole('dialog', { name: 'Delete message?' }).getByRole('button', { name: 'Delete' }).click();
      await bob.locator('.message.deleted', { hasText: 'This message was deleted' }).waitFor();
      assert.equal(await bob.locator('.message-text', { hasText: 'Oops, wrong chat' }).count(), 0);

      // Reply and react.
      const hello = bob.locator('.message.theirs', { hasText: 'Hello Bob!' });
      await hello.hover();
      await hello.getByRole('button', { name: 'React' }).click();
      await bob.getByRole('menuitem', { name: 'React with 🎉' }).click();
      await ann.locator('.message.mine', { hasText: 'Hello Bob!' }).locator('.reaction', { hasText: '🎉' }).waitFor();
      await hello.hover();
      await hello.getByRole('button', { name: 'Reply' }).click();
      await send(bob, 'Replying to you');
      await ann.locator('.message', { hasText: 'Replying to you' }).locator('.reply-quote', { hasText: 'Hello Bob!' }).waitFor();
    });
  });

  test('a group with a third person: members, roles, mentions', async () => {
    await step('group', async () => {
      const { ann } = page;
      const carol = await newPerson('cat');
      await signUp(carol, people.cat);

      await ann.locator('.sidebar-actions').getByRole('button', { name: 'New group' }).click();
      const dialog = ann.getByRole('dialog', { name: 'New group' });
      await dialog.getByLabel('Group name').fill('Book club');
      await dialog.getByLabel('Add people').fill('bob');
      await dialog.getByRole('button', { name: `Add ${people.bob.name}` }).click();
      await dialog.getByLabel('Add people').fill('car');
      await dialog.getByRole('button', { name: `Add ${people.cat.name}` }).click();
      await dialog.getByRole('button', { name: /Create group/ }).click();
      await ann.locator('.conversation-title h2', { hasText: 'Book club' }).waitFor();
      await ann.locator('[data-testid="conversation-status"]', { hasText: '3 members' }).waitFor();

      // @mention autocomplete.
      const box = ann.locator('.composer textarea');
      await box.pressSequentially('Welcome @car', { delay: 20 });
      await ann.getByRole('option', { name: /Carol King/ }).waitFor();
      await box.press('Enter');
      await ann.waitForFunction(() => document.querySelector('.composer textarea')?.value === 'Welcome @carol ');
      await box.pressSequentially('to the club!');
      await box.press('Enter');

      await openChat(carol, 'Book club');
      await carol.locator('.message .mention.me', { hasText: '@carol' }).waitFor();
      await openChat(page.bob, 'Book club');
      await waitForMessage(page.bob, 'Welcome @carol to the club!');

      // Group settings: make Bob an admin, rename.
      await ann.getByRole('button', { name: 'Group settings' }).click();
      const settings = ann.getByRole('dialog', { name: 'Group settings' });
      const bobRow = settings.locator('.member', { hasText: people.bob.name });
      await bobRow.getByRole('button', { name: 'Make admin' }).click();
      await bobRow.locator('.role-tag.admin').waitFor();
      await settings.getByLabel('Group name').fill('Book club 2024');
      await settings.getByRole('button', { name: 'Rename' }).click();
      await settings.getByText('Group renamed.').waitFor();
      await screenshot(ann, 'group-settings');
      await settings.getByRole('button', { name: 'Close' }).click();
      await carol.locator('.conversation-title h2', { hasText: 'Book club 2024' }).waitFor();
      await screenshot(ann, 'chat-list');

      // Carol leaves; Ann sees two members.
      await carol.getByRole('button', { name: 'Group settings' }).click();
      const cs = carol.getByRole('dialog', { name: 'Group settings' });
      await cs.getByRole('button', { name: 'Leave group' }).click();
      await cs.getByRole('button', { name: 'Leave', exact: true }).click();
      await carol.waitForURL(/\/chats$/);
      assert.equal(await carol.locator('.chat-row', { hasText: 'Book club' }).count(), 0);
      await ann.locator('[data-testid="conversation-status"]', { hasText: '2 members' }).waitFor();
    });
  });

  test('upload an image with progress and view it on the other side', async () => {
    await step('image', async () => {
      const { ann, bob } = page;
      await openChat(ann, people.bob.name);
      await openChat(bob, people.ann.name);
      await ann.locator('[data-testid="file-input"]').setInputFiles({
        name: 'gradient.png',
        mimeType: 'image/png',
        buffer: makePng(320, 200),
      });
      await ann.locator('.upload[data-status="done"]').waitFor();
      await send(ann, 'A picture');
      const img = bob.locator('.message', { hasText: 'A picture' }).locator('.attachment-image img');
      await img.waitFor();
      await bob.waitForFunction(
        (el) => el.complete && el.naturalWidth === 320 && el.naturalHeight === 200,
        await img.elementHandle(),
      );
      const mine = ann.locator('.message.mine', { hasText: 'A picture' }).locator('.attachment-image img');
      await ann.waitForFunction((el) => el.complete && el.naturalWidth === 320, await mine.elementHandle());
    });
  });

  test('offline: messages sent meanwhile arrive once, in order, after reconnecting', async () => {
    await step('offline', async () => {
      const { ann, bob } = page;
      const before = await stored(bob);
      await ctx.bob.setOffline(true);
      await bob.locator('.connection[data-state="offline"], .connection[data-state="reconnecting"]').waitFor({ state: 'attached' });
      for (const n of [1, 2, 3]) await send(ann, `While you were away ${n}`);
      await waitForMessage(ann, 'While you were away 3');
      await new Promise((r) => setTimeout(r, 300));
      // Nothing reached Bob live: what he gets next comes from catch-up.
      assert.equal(await bob.locator('.message-text', { hasText: 'While you were away' }).count(), 0);
      // Bob writes while offline: it waits, then goes out once.
      await send(bob, 'Written offline');
      await bob.locator('.message.pending', { hasText: 'Written offline' }).waitFor();
      await screenshot(bob, 'offline');
      await new Promise((r) => setTimeout(r, 1500));
      await ctx.bob.setOffline(false);
      await bob.locator('.connection[data-state="online"][data-synced="true"]').waitFor({ state: 'attached', timeout: 30_000 });
      await waitForMessage(bob, 'While you were away 3');
      await waitForMessage(bob, 'Written offline');
      await waitForMessage(ann, 'Written offline');
      await bob.locator('.message.pending').waitFor({ state: 'detached' });

      const after = await stored(bob);
      const seqs = after.map((m) => m.seq);
      assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => a - b), 'unique and ascending by seq');
      for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, 'no gaps');
      assert.equal(after.length, before.length + 4);
      for (const n of [1, 2, 3]) assert.equal(after.filter((m) => m.text === `While you were away ${n}`).length, 1);
      const annSide = await stored(ann);
      assert.equal(annSide.filter((m) => m.text === 'Written offline').length, 1);
      // Ann's and Bob's views of the chat agree.
      assert.deepEqual(
        annSide.map((m) => [m.seq, m.text]),
        after.map((m) => [m.seq, m.text]),
      );
    });
  });

  test('markup in messages stays text', async () => {
    await step('xss', async () => {
      const { ann, bob } = page;
      const payloads = ['<img src=x onerror=alert(1)>', '<script>alert(2)</script>', '<a href="javascript:alert(3)">click</a>'];
      for (const p of payloads) await send(ann, p);
      for (const p of payloads) {
        const el = bob.locator('.message .message-text', { hasText: p });
        await el.waitFor();
        assert.equal(await el.textContent(), p);
      }
      assert.equal(await bob.locator('.messages img[src="x"]').count(), 0);
      assert.equal(await bob.locator('.messages script').count(), 0);
      assert.equal(await bob.locator('.messages a[href^="javascript"]').count(), 0);
      assert.deepEqual(dialogs, [], 'no script ran');
      // The chat list preview is text too.
      assert.equal(await bob.locator('.chat-row-preview img').count(), 0);
    });
  });

  test('phone-sized screen, notifications, log out', async () => {
    await step('phone', async () => {
      const phone = await newPerson('phone', { width: 390, height: 844 });
      await signIn(phone, people.ann);
      await phone.locator('.chat-row').first().waitFor();
      await screenshot(phone, 'phone-chat-list');
      await openChat(phone, people.bob.name);
      await waitForMessage(phone, 'While you were away 3');
      await screenshot(phone, 'phone-conversation');
      await phone.getByRole('button', { name: 'Back to chats' }).click();
      await phone.locator('.chat-row').first().waitFor();

      // Carol has a notification (mentioned, then added to the group).
      const carol = page.cat;
      await carol.getByRole('button', { name: /Notifications/ }).click();
      await carol.getByRole('dialog', { name: 'Notifications' }).locator('.notification').first().waitFor();
      await screenshot(carol, 'notifications');
      await carol.getByRole('button', { name: 'Close notifications' }).click();

      await phone.getByRole('button', { name: 'Your profile and settings' }).click();
      await phone.getByRole('heading', { name: 'Profile and settings' }).waitFor();
      await phone.getByLabel('About you').fill('Reads a lot.');
      await phone.getByRole('button', { name: 'Save profile' }).click();
      await phone.getByText('Profile saved.').waitFor();
      await screenshot(phone, 'phone-profile');
      await phone.getByRole('button', { name: 'Log out', exact: true }).click();
      await phone.waitForURL(/\/login/);
      // Ann's desktop session is a different one and stays signed in.
      await page.ann.reload();
      await page.ann.locator('.sidebar').waitFor();
    });
  });

  test('forgot and reset the password, then sign in with the new one', async () => {
    await step('reset password', async () => {
      const carol = page.cat;
      await carol.getByRole('button', { name: 'Your profile and settings' }).click();
      await carol.getByRole('button', { name: 'Log out', exact: true }).click();
      await carol.waitForURL(/\/login/);
      await carol.getByRole('link', { name: 'Forgot your password?' }).click();
      const since = Date.now() - 1000;
      await carol.getByLabel('E-mail').fill(people.cat.email);
      await carol.getByRole('button', { name: 'Send code' }).click();
      await carol.waitForURL(/\/reset\?/);
      const code = await mailedCode(server.dataDir, people.cat.email, { after: since });
      await carol.getByLabel('Reset code').fill(code);
      await carol.getByLabel('New password').fill('a brand new passphrase');
      await carol.getByRole('button', { name: 'Set new password' }).click();
      await carol.waitForURL(/\/login\?/);
      await signIn(carol, people.cat, 'a brand new passphrase');
      assert.deepEqual(pageErrors, []);
    });
  });
});
