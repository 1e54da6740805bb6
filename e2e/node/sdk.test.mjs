// The official xendit-node SDK (7.0.0) against the paylink sandbox: every call must succeed or
// fail exactly as it does against Xendit. Needs PAYLINK_SANDBOX_URL (and PAYLINK_SECRET_KEY when
// the sandbox does not use the default key).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Xendit, XenditSdkError } from 'xendit-node';

const baseUrl = process.env.PAYLINK_SANDBOX_URL;
const secretKey = process.env.PAYLINK_SECRET_KEY ?? 'xnd_development_sandbox';
if (!baseUrl) {
  throw new Error('set PAYLINK_SANDBOX_URL to the sandbox address, e.g. http://127.0.0.1:4010');
}

const invoices = new Xendit({ secretKey, xenditURL: baseUrl }).Invoice;
const run = `${process.pid}-${Date.now()}`;

// Spec section 3.1: the fields PY7 requires in every Invoice response.
const REQUIRED = [
  'externalId', 'userId', 'status', 'merchantName', 'merchantProfilePictureUrl', 'amount',
  'expiryDate', 'invoiceUrl', 'availableBanks', 'availableRetailOutlets', 'availableEwallets',
  'availableQrCodes', 'availableDirectDebits', 'availablePaylaters', 'shouldSendEmail',
  'created', 'updated',
];

function assertComplete(invoice) {
  for (const field of REQUIRED) {
    assert.ok(invoice[field] !== undefined, `response lacks ${field}`);
  }
  assert.ok(invoice.created instanceof Date, 'created is parsed as a Date');
  assert.ok(invoice.expiryDate instanceof Date, 'expiryDate is parsed as a Date');
}

async function sdkError(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('the call succeeded but an error was expected');
}

test('create returns a pending invoice with every required field and a sandbox checkout url', async () => {
  const created = await invoices.createInvoice({
    data: {
      externalId: `node-create-${run}`,
      amount: 10000,
      invoiceDuration: 172800,
      currency: 'IDR',
      reminderTime: 1,
      description: 'Node SDK proof',
      items: [{ name: 'Kopi', quantity: 2, price: 5000 }],
    },
  });
  assertComplete(created);
  assert.equal(created.status, 'PENDING');
  assert.equal(created.amount, 10000);
  assert.equal(created.currency, 'IDR');
  assert.equal(created.externalId, `node-create-${run}`);
  assert.match(created.id, /^[0-9a-f]{24}$/);
  assert.ok(created.invoiceUrl.startsWith(`${baseUrl}/web/`), created.invoiceUrl);
  assert.equal(created.expiryDate.getTime() - created.created.getTime(), 172800 * 1000);
});

test('get returns the invoice that create returned', async () => {
  const created = await invoices.createInvoice({
    data: { externalId: `node-get-${run}`, amount: 25000 },
  });
  const got = await invoices.getInvoiceById({ invoiceId: created.id });
  assertComplete(got);
  assert.equal(got.id, created.id);
  assert.equal(got.externalId, created.externalId);
  assert.equal(got.amount, 25000);
  assert.equal(got.status, 'PENDING');
});

test('an invoice created for a sub-account is visible only with its for-user-id', async () => {
  const created = await invoices.createInvoice({
    data: { externalId: `node-sub-${run}`, amount: 10000, currency: 'IDR' },
    forUserId: 'sub-1',
  });
  const got = await invoices.getInvoiceById({ invoiceId: created.id, forUserId: 'sub-1' });
  assert.equal(got.id, created.id);
  const error = await sdkError(invoices.getInvoiceById({ invoiceId: created.id }));
  assert.ok(error instanceof XenditSdkError);
  assert.equal(error.status, 404);
  assert.equal(error.errorCode, 'INVOICE_NOT_FOUND_ERROR');
});

test('list filters by statuses, limit, createdAfter and externalId', async () => {
  const externalId = `node-list-${run}`;
  const first = await invoices.createInvoice({ data: { externalId, amount: 10000 } });
  const second = await invoices.createInvoice({ data: { externalId, amount: 20000 } });
  await invoices.createInvoice({ data: { externalId: `${externalId}-other`, amount: 30000 } });
  await invoices.expireInvoice({ invoiceId: second.id });

  const pending = await invoices.getInvoices({
    statuses: ['PENDING', 'SETTLED'],
    limit: 10,
    createdAfter: new Date('2023-01-01T00:00:00Z'),
    externalId,
  });
  assert.ok(Array.isArray(pending));
  assert.deepEqual(pending.map((i) => i.id), [first.id]);
  pending.forEach(assertComplete);

  const both = await invoices.getInvoices({ statuses: ['PENDING', 'EXPIRED'], externalId, limit: 10 });
  assert.deepEqual(new Set(both.map((i) => i.id)), new Set([first.id, second.id]));

  const one = await invoices.getInvoices({ externalId, limit: 1 });
  assert.equal(one.length, 1);

  const future = await invoices.getInvoices({ externalId, createdAfter: new Date('2999-01-01T00:00:00Z') });
  assert.deepEqual(future, []);
});

test('expire turns a pending invoice into an expired one, and a second expire is not found', async () => {
  const created = await invoices.createInvoice({ data: { externalId: `node-expire-${run}`, amount: 10000 } });
  const expired = await invoices.expireInvoice({ invoiceId: created.id });
  assertComplete(expired);
  assert.equal(expired.id, created.id);
  assert.equal(expired.status, 'EXPIRED');
  const again = await sdkError(invoices.expireInvoice({ invoiceId: created.id }));
  assert.ok(again instanceof XenditSdkError);
  assert.equal(again.status, 404);
});

test('an unknown invoice is a 404 XenditSdkError with INVOICE_NOT_FOUND_ERROR', async () => {
  const error = await sdkError(invoices.getInvoiceById({ invoiceId: 'missing' }));
  assert.ok(error instanceof XenditSdkError);
  assert.equal(error.name, 'XenditSdkError');
  assert.equal(error.status, 404);
  assert.equal(error.errorCode, 'INVOICE_NOT_FOUND_ERROR');
  assert.equal(error.errorMessage, 'Invoice not found.');
});

test('a wrong secret key is a 401 XenditSdkError with INVALID_API_KEY', async () => {
  const stranger = new Xendit({ secretKey: 'xnd_development_wrong', xenditURL: baseUrl }).Invoice;
  const error = await sdkError(stranger.getInvoices({}));
  assert.ok(error instanceof XenditSdkError);
  assert.equal(error.status, 401);
  assert.equal(error.errorCode, 'INVALID_API_KEY');
});

test('an amount below the minimum is refused with the error Xendit gives', async () => {
  const error = await sdkError(invoices.createInvoice({ data: { externalId: `node-min-${run}`, amount: 1 } }));
  assert.ok(error instanceof XenditSdkError);
  assert.equal(error.status, 400);
  assert.equal(error.errorCode, 'MINIMAL_TRANSFER_AMOUNT_ERROR');
});
