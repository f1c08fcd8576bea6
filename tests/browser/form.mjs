// Drives the citizens' pages of a running citizenhubd in Debian's headless
// Chromium: the report form in Vietnamese, the page after sending, the
// lookup page, and the switch to English.
//
// Usage: node form.mjs BASE_URL SCREENSHOT_DIR [MIN_FILL_SECONDS]
//
// Prints one line per step, "ok - STEP" or "not ok - STEP: reason", and
// "screenshot PATH" for each picture taken. Exits 1 when a step failed.
import { chromium } from 'playwright-core';
import { join } from 'node:path';

const [baseUrl, shotDir, minFillText = '1'] = process.argv.slice(2);
if (!baseUrl || !shotDir) {
  console.error('usage: node form.mjs BASE_URL SCREENSHOT_DIR [MIN_FILL_SECONDS]');
  process.exit(2);
}
const minFillMs = Number(minFillText) * 1000;

const citizen = {
  name: 'Võ Thị Thu Hằng',
  phone: '0977 246 813',
  email: 'thuhang.vo@example.org',
  subject: 'Đèn đường không sáng',
  description: 'Ba cột đèn trên đường Nguyễn Trãi, đoạn trước trường tiểu học, không sáng từ tối thứ Hai.',
  address: '45 Nguyễn Trãi, phường Phạm Ngũ Lão',
};
const phoneLast4 = citizen.phone.replace(/\D/g, '').slice(-4);

let failed = false;

function expect(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

// Runs one step and prints its outcome. Returns what fn returned, or
// undefined when it threw.
async function step(name, fn) {
  try {
    const value = await fn();
    console.log(`ok - ${name}`);
    return value;
  } catch (error) {
    failed = true;
    console.log(`not ok - ${name}: ${String(error.message).split('\n')[0]}`);
    return undefined;
  }
}

async function screenshot(page, name) {
  const path = join(shotDir, name);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot ${path}`);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});

try {
  // An English browser: the pages must stay Vietnamese unless the citizen
  // picks English.
  const context = await browser.newContext({
    locale: 'en-US',
    viewport: { width: 900, height: 900 },
  });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  let formOpenedAt = 0;

  const formOpen = await step('form page in vietnamese', async () => {
    const response = await page.goto(`${baseUrl}/`);
    formOpenedAt = Date.now();
    expect(response.status() === 200, `GET / returned HTTP ${response.status()}`);
    const lang = await page.getAttribute('html', 'lang');
    expect(lang === 'vi', `html lang is "${lang}", expected "vi"`);
    const heading = await page.textContent('h1');
    expect(heading.includes('Gửi phản ánh'), `heading is "${heading}"`);
    const notice = page.locator('#notice-title');
    expect(await notice.isVisible(), 'the personal-data notice is not visible');
    const noticeText = await notice.textContent();
    expect(noticeText.includes('dữ liệu cá nhân'), `notice title is "${noticeText}"`);
    await screenshot(page, 'form-vi.png');
    return true;
  });

  const sent = await step('form filled and submitted', async () => {
    expect(formOpen, 'the form did not open');
    await page.selectOption('#category', 'lighting');
    await page.fill('#subject', citizen.subject);
    await page.fill('#description', citizen.description);
    await page.fill('#address', citizen.address);
    await page.fill('#name', citizen.name);
    await page.fill('#phone', citizen.phone);
    await page.fill('#email', citizen.email);
    await page.check('#consent');
    const waitMs = formOpenedAt + minFillMs + 500 - Date.now();
    if (waitMs > 0) {
      await page.waitForTimeout(waitMs);
    }
    const [response] = await Promise.all([
      page.waitForNavigation(),
      page.click('button[type="submit"]'),
    ]);
    expect(response.status() === 201,
      `the form post returned HTTP ${response.status()}: ${(await page.textContent('main')).trim().slice(0, 200)}`);
    return true;
  });

  const codeDisplay = await step('result page shows code', async () => {
    expect(sent, 'the form was not sent');
    const code = (await page.textContent('p.code')).trim();
    expect(/^\d{4}-\d{4}-\d{2}$/.test(code), `code on the page is "${code}"`);
    const heading = await page.textContent('h1');
    expect(heading.includes('Đã tiếp nhận'), `heading is "${heading}"`);
    await screenshot(page, 'submitted-vi.png');
    return code;
  });

  await step('lookup shows status', async () => {
    expect(codeDisplay, 'no code to look up');
    await page.goto(`${baseUrl}/lookup`);
    await page.fill('#code', codeDisplay);
    await page.fill('#phone_last4', phoneLast4);
    const [response] = await Promise.all([
      page.waitForNavigation(),
      page.click('button[type="submit"]'),
    ]);
    expect(response.status() === 200, `the lookup returned HTTP ${response.status()}`);
    const status = (await page.textContent('span.status')).trim();
    expect(status === 'Mới tiếp nhận', `status is "${status}"`);
    const facts = await page.textContent('dl.facts');
    expect(facts.includes('Chiếu sáng công cộng'),
      'the chosen category is not on the status page');
    const conversation = await page.textContent('ol.conversation');
    expect(conversation.includes(citizen.description),
      'the description is not in the conversation');
    await screenshot(page, 'status-vi.png');
  });

  await step('language link switches to english', async () => {
    await page.goto(`${baseUrl}/`);
    await Promise.all([
      page.waitForNavigation(),
      page.click('nav.lang a'),
    ]);
    const lang = await page.getAttribute('html', 'lang');
    expect(lang === 'en', `html lang is "${lang}", expected "en"`);
    const heading = await page.textContent('h1');
    expect(heading.includes('Report a problem'), `heading is "${heading}"`);
    const button = (await page.textContent('button[type="submit"]')).trim();
    expect(button === 'Send report', `submit button is "${button}"`);
    const notice = await page.textContent('#notice-title');
    expect(notice.includes('personal data'), `notice title is "${notice}"`);
    await screenshot(page, 'form-en.png');
  });
} finally {
  await browser.close();
}

process.exit(failed ? 1 : 0);
