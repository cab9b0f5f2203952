// Opens each page given on the command line in Debian's Chromium, checks it
// with axe-core and saves a screenshot; prints one JSON line per page.
//
//   node check-pages.mjs SCREENSHOT_DIR NAME=URL...
//
// Each line: {"name", "url", "status", "title", "lang", "origin",
// "violations": [{"id", "impact", "nodes"}]}. Rules are WCAG 2.1 A and AA.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const axeSource = require.resolve('axe-core/axe.min.js');

const [shots, ...pages] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  // The pages forbid every script; axe is injected past that policy, as
  // only a test tool may.
  const context = await browser.newContext({ locale: 'fr-FR', bypassCSP: true });
  for (const spec of pages) {
    const at = spec.indexOf('=');
    const [name, url] = [spec.slice(0, at), spec.slice(at + 1)];
    const page = await context.newPage();
    const response = await page.goto(url, { waitUntil: 'load' });
    await page.addScriptTag({ path: axeSource });
    const results = await page.evaluate(() =>
      window.axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      }));
    await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    console.log(JSON.stringify({
      name,
      url,
      status: response?.status() ?? 0,
      title: await page.title(),
      lang: await page.evaluate(() => document.documentElement.lang),
      origin: await page.evaluate(() => window.location.origin),
      violations: results.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })),
    }));
    await page.close();
  }
} finally {
  await browser.close();
}
