// A delegation, clicked through: the patient makes a code for two sections
// of their space and signs out; a physician signs in, enters the code and
// reads those sections. Each step is reported (see report.mjs).
//
//   node professional-journey.mjs SCREENSHOT_DIR PLATFORM_URL
import { chromium } from 'playwright-core';
import { launchOptions, report } from './report.mjs';

const [shots, platform] = process.argv.slice(2);
const browser = await chromium.launch(launchOptions());
try {
  const context = await browser.newContext({ locale: 'fr-FR', bypassCSP: true });
  const page = await context.newPage();
  const step = (label, status, extra) => report(page, shots, label, status, extra);

  await page.goto(`${platform}/connexion`);
  await page.getByRole('button', { name: 'Camille Martin — patiente de démonstration' }).click();
  await page.waitForURL('**/mes-services?**');
  let response = await page.goto(`${platform}/mon-espace/fermer`);
  await step('closing', response.status());
  response = await page.goto(`${platform}/mes-delegations`);
  await step('delegations', response.status());
  await page.getByLabel('Mesures').check();
  await page.getByLabel('Documents du dossier médical').check();
  await page.getByRole('button', { name: 'Créer le code' }).click();
  await page.waitForLoadState('load');
  const code = (await page.locator('p.code').innerText()).trim();
  await step('delegation-made', 201, { code });
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.waitForURL('**/catalogue?**');

  await page.goto(`${platform}/connexion`);
  await page.getByRole('button', { name: 'Dr Claire Bernard — médecin de démonstration' }).click();
  await page.waitForURL('**/pro?**');
  await step('pro-home', 200);
  await page.getByLabel('Code de délégation remis par le patient').fill(code);
  await page.getByRole('button', { name: 'Ouvrir' }).click();
  await page.waitForURL(/\/pro\/acces\//);
  await step('pro-measures', 200, {
    shown: await page.getByRole('status').first().innerText(),
  });
  await page.getByRole('link', { name: 'Documents du dossier médical' }).click();
  await page.waitForLoadState('load');
  await step('pro-documents', 200, {
    shown: await page.getByRole('status').first().innerText(),
    tabs: await page.locator('ul.tabs a').allInnerTexts(),
  });
} finally {
  await browser.close();
}
