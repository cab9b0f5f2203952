// What the browser tests report of a page: checked by axe-core against
// WCAG 2.1 A and AA, saved as a full-page screenshot, printed as one JSON
// line (and `tour/NAME.jpg`, its first screen): {"name", "url", "status", "title", "lang", "origin",
// "violations": [{"id", "impact", "nodes"}], ...extra}.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const axeSource = require.resolve('axe-core/axe.min.js');

// The pages forbid every script; the test context bypasses that policy so
// that axe can be injected, as only a test tool may.
export async function report(page, shots, name, status, extra = {}) {
  await page.addScriptTag({ path: axeSource });
  const results = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    }));
  // The screen as it is (before the full page, which scrolls), small
  // enough for the README's tour.
  mkdirSync(path.join(shots, 'tour'), { recursive: true });
  await page.screenshot({ path: path.join(shots, 'tour', `${name}.jpg`), type: 'jpeg', quality: 70 });
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  console.log(JSON.stringify({
    name,
    url: page.url(),
    status,
    title: await page.title(),
    lang: await page.evaluate(() => document.documentElement.lang),
    origin: await page.evaluate(() => window.location.origin),
    scrolled: await page.evaluate(() => window.scrollY),
    violations: results.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })),
    ...extra,
  }));
}

export function launchOptions() {
  return {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  };
}
