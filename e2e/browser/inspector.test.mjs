// Drives the sandbox's inspector (/_sandbox/) in headless Chromium (Debian's /usr/bin/chromium
// driven by playwright-core): filter the invoices, open one, pay it choosing a channel, see the
// webhook attempt the receiver refused, resend it and see the new attempt; expire, settle and
// advance the clock from the forms; check the pages fit a phone screen; take screenshots.
// Needs PAYLINK_SANDBOX_URL, and PAYLINK_E2E_CALLBACK_PORT: the sandbox must deliver its
// webhooks to http://127.0.0.1:PORT/xendit/callback, where this test listens (e2e/run.sh starts
// the sandbox so). PAYLINK_E2E_UPDATE_IMAGES=1 also writes the screenshots to docs/images/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const baseUrl = process.env.PAYLINK_SANDBOX_URL;
const secretKey = process.env.PAYLINK_SECRET_KEY ?? 'xnd_development_sandbox';
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const callbackPort = Number(process.env.PAYLINK_E2E_CALLBACK_PORT);
if (!baseUrl) {
  throw new Error('set PAYLINK_SANDBOX_URL to the sandbox address, e.g. http://127.0.0.1:4010');
}
if (!callbackPort) {
  throw new Error('set PAYLINK_E2E_CALLBACK_PORT to the port of the sandbox\'s --callback-url (see e2e/run.sh)');
}
const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'out');
const imagesDir = join(here, '..', '..', 'docs', 'images');
const updateImages = process.env.PAYLINK_E2E_UPDATE_IMAGES === '1';
const tag = Math.random().toString(16).slice(2, 6).toUpperCase();
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

// The webhook receiver: answers the statuses queued for an invoice in turn, then 200.
const answers = new Map();
const received = [];
let receiver;
let context;
let userDataDir;

async function api(method, path, body) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${secretKey}:`).toString('base64')}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json();
  assert.ok(response.ok, `${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

let serial = 1000;
function createInvoice(extra = {}) {
  serial += 1;
  return api('POST', '/v2/invoices', {
    external_id: `INV-${tag}-${serial}`,
    amount: 510000,
    currency: 'IDR',
    description: 'Two coffees and a croissant',
    payer_email: 'buyer@example.com',
    payment_methods: ['BNI', 'BRI', 'DANA', 'OVO', 'QRIS'],
    items: [
      { name: 'Kopi susu', quantity: 2, price: 180000 },
      { name: 'Croissant', quantity: 1, price: 150000 },
    ],
    ...extra,
  });
}

// Screenshots go to out/; with PAYLINK_E2E_UPDATE_IMAGES=1 those of the README to docs/images/.
async function screenshot(page, name, viewport, { docs = true } = {}) {
  await page.setViewportSize(viewport);
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(
    scrollWidth <= viewport.width,
    `${name}: the page is ${scrollWidth}px wide on a ${viewport.width}px screen`,
  );
  const path = join(outDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  if (updateImages && docs) copyFileSync(path, join(imagesDir, `${name}.png`));
}

// Submits a form by clicking `selector` and waits for the page the 303 leads to.
async function submit(page, selector) {
  await Promise.all([page.waitForURL(/[?&](done|error)=/), page.locator(selector).first().click()]);
  return page.locator('#flash').innerText();
}

before(async () => {
  mkdirSync(outDir, { recursive: true });
  if (updateImages) mkdirSync(imagesDir, { recursive: true });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; }).on('end', () => {
      let id;
      try { id = JSON.parse(body).id; } catch { id = undefined; }
      received.push({ id, token: req.headers['x-callback-token'], body });
      const queue = answers.get(id) ?? [];
      const status = queue.length > 0 ? queue.shift() : 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ received: status === 200 }));
    });
  });
  await new Promise((resolve) => receiver.listen(callbackPort, '127.0.0.1', resolve));
  userDataDir = mkdtempSync(join(tmpdir(), 'paylink-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: DESKTOP,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
});

after(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve()));
});

test('the invoices are listed newest first and filtered by status and external id', async () => {
  const created = [];
  for (let n = 0; n < 4; n += 1) created.push(await createInvoice({ amount: 125000 * (n + 1) }));
  await fetch(`${baseUrl}/_sandbox/invoices/${created[1].id}/pay`, { method: 'POST' });
  await fetch(`${baseUrl}/_sandbox/invoices/${created[2].id}/expire`, { method: 'POST' });

  const page = await context.newPage();
  await page.goto(`${baseUrl}/_sandbox/`);
  assert.match(await page.locator('#clock').innerText(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  const first = await page.locator('.invoice-row').first().getAttribute('data-id');
  assert.equal(first, created[3].id, 'the newest first');

  await page.locator('#filter-external-id').fill(`INV-${tag}`);
  await Promise.all([page.waitForURL(/external_id=/), page.locator('#filter').click()]);
  const ids = await page.locator('.invoice-row').evaluateAll((rows) => rows.map((r) => r.dataset.id));
  assert.deepEqual(ids, created.map((i) => i.id).reverse());
  assert.match(await page.locator('#invoice-count').innerText(), /^4 match/);

  await page.locator('#filter-status').selectOption('PAID');
  await Promise.all([page.waitForURL(/status=PAID/), page.locator('#filter').click()]);
  const paid = await page.locator('.invoice-row').evaluateAll((rows) => rows.map((r) => r.dataset.id));
  assert.deepEqual(paid, [created[1].id]);

  await Promise.all([page.waitForURL(/\/_sandbox\/$/), page.locator('#clear-filters').click()]);
  await page.locator('#filter-external-id').fill(`INV-${tag}`);
  await Promise.all([page.waitForURL(/external_id=/), page.locator('#filter').click()]);
  await screenshot(page, 'inspector-list-desktop', DESKTOP);
  await screenshot(page, 'inspector-list-phone', PHONE);
  await page.close();
});

test('pay from the detail page with a chosen channel, see the refused webhook, resend it', async () => {
  const invoice = await createInvoice({ description: 'Kopi susu x2, croissant; table 7' });
  answers.set(invoice.id, [500]);
  const page = await context.newPage();
  await page.goto(`${baseUrl}/_sandbox/?external_id=${encodeURIComponent(invoice.external_id)}`);
  await Promise.all([
    page.waitForURL(`${baseUrl}/_sandbox/invoices/${invoice.id}`),
    page.locator('a.external-id').first().click(),
  ]);
  assert.equal(await page.locator('#external-id').innerText(), invoice.external_id);
  assert.equal(await page.locator('#status').innerText(), 'PENDING');
  assert.equal(await page.locator('#amount').innerText(), 'Rp 510.000');
  const channels = await page.locator('#channel option').evaluateAll((o) => o.map((x) => x.value));
  assert.deepEqual(channels, ['BNI', 'BRI', 'DANA', 'OVO', 'QRIS']);

  await page.locator('#channel').selectOption('DANA');
  assert.equal(
    await submit(page, '#pay'),
    'Paid with DANA: the link is PAID, and its PAID webhook is on its way.',
  );
  assert.equal(await page.locator('#status').innerText(), 'PAID');
  const fact = (label) => page.locator(`dt:text-is("${label}") + dd`).innerText();
  assert.equal(await fact('Payment channel'), 'DANA');
  assert.equal(await fact('Payment method'), 'EWALLET');

  // The first attempt is answered 500 by the receiver; it shows once delivered (async).
  const attempts = page.locator('#deliveries .attempt');
  for (let n = 0; n < 50 && (await attempts.count()) === 0; n += 1) {
    await new Promise((r) => setTimeout(r, 100));
    await page.reload();
  }
  assert.equal(await attempts.count(), 1, 'one attempt');
  const firstAttempt = await attempts.first().innerText();
  assert.match(firstAttempt, /500/);
  assert.match(firstAttempt, /failed/);
  assert.match(firstAttempt, new RegExp(`127\\.0\\.0\\.1:${callbackPort}/xendit/callback`));
  assert.match(await page.locator('#deliveries .outcome').innerText(), /not delivered/);
  const delivery = await page.locator('#deliveries .delivery').first().getAttribute('data-delivery');

  const flash = await submit(page, '#deliveries .resend');
  assert.equal(flash, `Resent delivery ${delivery} as attempt 2: delivered (HTTP 200).`);
  assert.equal(await attempts.count(), 2, 'the resend is a new attempt');
  assert.equal(await attempts.first().getAttribute('data-attempt'), '2');
  const newest = await attempts.first().innerText();
  assert.match(newest, /resend/);
  assert.match(newest, /\b200\b/);
  assert.match(newest, /delivered/);
  assert.match(await page.locator('#deliveries .outcome').innerText(), /^delivered$/);
  const bodies = received.filter((r) => r.id === invoice.id);
  assert.equal(bodies.length, 2, 'the receiver got it twice');
  assert.equal(bodies[1].body, bodies[0].body, 'byte for byte');
  assert.equal(bodies[1].token, bodies[0].token);
  assert.ok(bodies[0].token, 'with the callback token');

  // The pretty-printed body, behind its disclosure.
  await page.locator('#deliveries details summary').first().click();
  assert.match(await page.locator('#deliveries details pre').first().innerText(), /"status": "PAID"/);
  await screenshot(page, 'inspector-detail-desktop', DESKTOP);
  await screenshot(page, 'inspector-detail-phone', PHONE);
  await page.close();
});

test('expire, settle and advance the clock from the forms', async () => {
  const page = await context.newPage();
  const toExpire = await createInvoice();
  await page.goto(`${baseUrl}/_sandbox/invoices/${toExpire.id}`);
  assert.equal(
    await submit(page, '#expire'),
    'Expired: the link is EXPIRED, and its EXPIRED webhook is on its way.',
  );
  assert.equal(await page.locator('#status').innerText(), 'EXPIRED');
  assert.equal(await page.locator('#expire').count(), 0, 'an expired link offers no action');

  const toSettle = await createInvoice();
  await fetch(`${baseUrl}/_sandbox/invoices/${toSettle.id}/pay`, { method: 'POST' });
  await page.goto(`${baseUrl}/_sandbox/invoices/${toSettle.id}`);
  assert.equal(await submit(page, '#settle'), 'Settled: the link is SETTLED.');
  assert.equal(await page.locator('#status').innerText(), 'SETTLED');

  const soon = await createInvoice({ invoice_duration: 3600 });
  await page.goto(`${baseUrl}/_sandbox/invoices/${soon.id}`);
  const before = await page.locator('#clock').innerText();
  await page.locator('#advance-form input[name=amount]').fill('2');
  await page.locator('#advance-form select[name=unit]').selectOption('hours');
  const flash = await submit(page, '#advance');
  assert.match(flash, /^Advanced the clock by 2 h to \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; \d+ links? expired\.$/);
  assert.notEqual(await page.locator('#clock').innerText(), before);
  assert.ok(page.url().startsWith(`${baseUrl}/_sandbox/invoices/${soon.id}?done=`), 'back on the page');
  assert.equal(await page.locator('#status').innerText(), 'EXPIRED', 'it fell due');

  // A refusal comes back as an error flash.
  await page.goto(`${baseUrl}/_sandbox/invoices/${soon.id}`);
  await page.locator('#advance-form input[name=amount]').fill('0');
  await page.evaluate(() => document.querySelector('#advance-form').setAttribute('novalidate', ''));
  assert.match(await submit(page, '#advance'), /^Could not advance the clock: "amount" must be a whole number of at least 1, got `0`$/);
  assert.equal(await page.locator('#flash').getAttribute('role'), 'alert');

  // The request log shows the form posts.
  await Promise.all([page.waitForURL(/\/_sandbox\/log$/), page.locator('nav a', { hasText: 'Requests' }).click()]);
  const log = await page.locator('#request-table').innerText();
  assert.match(log, new RegExp(`POST /_sandbox/forms/invoices/${toExpire.id}/expire`));
  assert.match(log, /POST \/_sandbox\/forms\/clock\/advance/);
  const logged = await (await fetch(`${baseUrl}/_sandbox/requests`)).text();
  assert.ok(logged.includes(`INV-${tag}`), 'the creates are logged');
  assert.ok(!logged.includes('buyer@example.com'), 'e-mail addresses are redacted');
  assert.ok(!logged.includes(secretKey), 'the API key never reaches the log');
  await screenshot(page, 'inspector-log-phone', PHONE, { docs: false });
  await page.close();
});
