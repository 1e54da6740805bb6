// Clicks through the sandbox's hosted checkout page in headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core): pay and land on the merchant's success page, fail
// an attempt, see an expired link refuse payment, and check the page fits a phone screen.
// Needs PAYLINK_SANDBOX_URL (and PAYLINK_SECRET_KEY when the sandbox does not use the default).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const baseUrl = process.env.PAYLINK_SANDBOX_URL;
const secretKey = process.env.PAYLINK_SECRET_KEY ?? 'xnd_development_sandbox';
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!baseUrl) {
  throw new Error('set PAYLINK_SANDBOX_URL to the sandbox address, e.g. http://127.0.0.1:4010');
}
const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'out');
const run = `${process.pid}-${Date.now()}`;
const PHONE = { width: 390, height: 844 };

let shop; // the merchant's site, where the buyer lands after paying
let shopUrl;
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

function createInvoice(extra = {}) {
  return api('POST', '/v2/invoices', {
    external_id: `browser-${run}-${Math.random().toString(16).slice(2)}`,
    amount: 510000,
    currency: 'IDR',
    description: 'Two coffees and a croissant',
    payment_methods: ['BNI', 'DANA', 'QRIS'],
    items: [
      { name: 'Kopi susu', quantity: 2, price: 180000 },
      { name: 'Croissant', quantity: 1, price: 150000 },
    ],
    ...extra,
  });
}

// Width and height of a PNG, from its IHDR chunk.
function pngSize(buffer) {
  assert.equal(buffer.subarray(1, 4).toString('latin1'), 'PNG');
  return { width: buffer.readUInt32BE(16), height: buffer.readUInt32BE(20) };
}

before(async () => {
  mkdirSync(outDir, { recursive: true });
  shop = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Shop</title><h1 id="shop">Thank you for your order</h1><p>${req.url}</p>`);
  });
  await new Promise((resolve) => shop.listen(0, '127.0.0.1', resolve));
  shopUrl = `http://127.0.0.1:${shop.address().port}`;
  userDataDir = mkdtempSync(join(tmpdir(), 'paylink-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: PHONE,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
});

after(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await new Promise((resolve) => (shop ? shop.close(resolve) : resolve()));
});

test('a buyer pays with DANA and lands on the success page, and the invoice is PAID', async () => {
  const invoice = await createInvoice({
    success_redirect_url: `${shopUrl}/thanks?order=1`,
    failure_redirect_url: `${shopUrl}/sorry`,
  });
  const page = await context.newPage();
  await page.goto(invoice.invoice_url);
  await page.screenshot({ path: join(outDir, 'checkout-phone.png'), fullPage: true });

  assert.equal(await page.locator('#amount').innerText(), 'Rp 510.000');
  const text = await page.locator('body').innerText();
  assert.ok(text.includes(invoice.merchant_name), 'merchant name shown');
  assert.ok(text.includes('Two coffees and a croissant'), 'description shown');
  assert.ok(text.includes('Kopi susu') && text.includes('Croissant'), 'items shown');
  assert.ok(text.includes('Rp 360.000'), 'line total of 2 x Rp 180.000 shown');
  for (const channel of ['BNI', 'DANA', 'QRIS']) {
    assert.equal(await page.locator(`input[name=channel][value="${channel}"]`).count(), 1, channel);
  }

  await page.locator('input[name=channel][value="DANA"]').check();
  await Promise.all([page.waitForURL(`${shopUrl}/thanks?order=1`), page.locator('#pay').click()]);
  assert.equal(await page.locator('#shop').innerText(), 'Thank you for your order');

  const paid = await api('GET', `/v2/invoices/${invoice.id}`);
  assert.equal(paid.status, 'PAID');
  assert.equal(paid.payment_method, 'EWALLET');
  assert.equal(paid.payment_channel, 'DANA');

  await page.goto(invoice.invoice_url);
  assert.match(await page.locator('#state').innerText(), /paid/i);
  assert.equal(await page.locator('#pay').count(), 0, 'a paid link offers no pay button');
  await page.screenshot({ path: join(outDir, 'checkout-paid.png'), fullPage: true });
  await page.close();
});

test('a failed attempt shows the result page and leaves the link payable', async () => {
  const invoice = await createInvoice();
  const page = await context.newPage();
  await page.goto(invoice.invoice_url);
  await Promise.all([page.waitForURL(/\/result/), page.locator('#fail').click()]);
  assert.match(await page.locator('#state').innerText(), /did not go through/);
  assert.equal((await api('GET', `/v2/invoices/${invoice.id}`)).status, 'PENDING');

  await Promise.all([page.waitForURL(invoice.invoice_url), page.getByText('Try again').click()]);
  await Promise.all([page.waitForURL(/\/result/), page.locator('#pay').click()]);
  assert.match(await page.locator('#state').innerText(), /successful/);
  assert.equal((await api('GET', `/v2/invoices/${invoice.id}`)).status, 'PAID');
  await page.close();
});

test('an expired link shows that it expired and cannot be paid', async () => {
  const invoice = await createInvoice();
  await api('POST', `/invoices/${invoice.id}/expire!`);
  const page = await context.newPage();
  await page.goto(invoice.invoice_url);
  assert.match(await page.locator('#state').innerText(), /expired/);
  assert.equal(await page.locator('#pay').count(), 0);
  await page.close();
});

test('screenshot: the checkout page fits a phone screen without horizontal scrolling', async () => {
  const invoice = await createInvoice({
    description: 'A long description that must wrap on a narrow phone screen instead of pushing the page sideways: '
      + 'x'.repeat(120),
    items: [{ name: 'An item with a very long name that keeps going and going '.repeat(3), quantity: 1, price: 510000 }],
  });
  const page = await context.newPage();
  await page.setViewportSize(PHONE);
  await page.goto(invoice.invoice_url);
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= PHONE.width, `page is ${scrollWidth}px wide on a ${PHONE.width}px screen`);
  const fontSize = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
  assert.ok(fontSize >= 16, `body text is ${fontSize}px`);

  const path = join(outDir, 'checkout-viewport.png');
  await page.screenshot({ path });
  const size = pngSize(readFileSync(path));
  assert.deepEqual(size, PHONE);
  const payBox = await page.locator('#pay').boundingBox();
  assert.ok(payBox && payBox.width >= PHONE.width * 0.7, 'the pay button spans the screen');
  await page.close();
});
