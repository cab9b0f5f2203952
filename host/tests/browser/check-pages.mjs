// Opens each page given on the command line in Debian's Chromium, checks it
// with axe-core and saves a screenshot; prints one JSON line per page (see
// report.mjs).
//
//   node check-pages.mjs SCREENSHOT_DIR NAME=URL...
import { chromium } from 'playwright-core';
import { launchOptions, report } from './report.mjs';

const [shots, ...pages] = process.argv.slice(2);
const browser = await chromium.launch(launchOptions());
try {
  const context = await browser.newContext({ locale: 'fr-FR', bypassCSP: true });
  for (const spec of pages) {
    const at = spec.indexOf('=');
    const [name, url] = [spec.slice(0, at), spec.slice(at + 1)];
    const page = await context.newPage();
    const response = await page.goto(url, { waitUntil: 'load' });
    await report(page, shots, name, response?.status() ?? 0);
    await page.close();
  }
} finally {
  await browser.close();
}
