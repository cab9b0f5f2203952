// A regulator's journey through the desk, as a person clicks it: sign in
// with the demonstration identity, take a submitted release through
// admission, review and the requirement checklist until it is listed, see
// it in the catalogue, suspend it, see it gone, then check the logs and the
// component's report. Each step is reported (see report.mjs).
//
//   node regulator-journey.mjs SCREENSHOT_DIR PLATFORM_URL RELEASE SERVICE_NAME
import { chromium } from 'playwright-core';
import { launchOptions, report } from './report.mjs';

const [shots, platform, release, name] = process.argv.slice(2);
const service = release.split('@')[0];
const browser = await chromium.launch(launchOptions());
try {
  const context = await browser.newContext({ locale: 'fr-FR', bypassCSP: true });
  const page = await context.newPage();
  const step = (label, status, extra) => report(page, shots, label, status, extra);
  const state = () => page.locator('dt:text-is("État") + dd').innerText();
  const inCatalogue = async () => {
    const response = await page.goto(`${platform}/catalogue`);
    return { status: response.status(), listed: await page.getByRole('link', { name, exact: true }).count() };
  };

  let response = await page.goto(`${platform}/connexion`);
  await page.getByRole('button', { name: 'Régulateur de démonstration' }).click();
  await page.waitForURL(/\/bureau\?/);
  await step('desk', 200);

  await page.getByRole('link', { name, exact: true }).click();
  await page.waitForLoadState('load');
  await step('submission', 200, { state: await state() });

  await page.getByRole('button', { name: 'Déclarer recevable' }).click();
  await page.waitForURL(/fait=admit/);
  await page.getByRole('button', { name: 'Commencer l\'examen' }).click();
  await page.waitForURL(/fait=start/);
  const requirements = await page.locator('form.verdicts fieldset').count();
  await page.locator('form.verdicts').scrollIntoViewIfNeeded();
  await step('checklist', 200, { state: await state(), requirements });

  for (const radio of await page.locator('form.verdicts input[type=radio][value=yes]').all()) {
    await radio.check();
  }
  for (const proof of await page.locator('form.verdicts input[name^="ref-"]').all()) {
    await proof.fill(`https://preuves.example/${service}`);
  }
  await page.getByRole('button', { name: 'Décider' }).click();
  await page.waitForURL(/fait=decide/);
  await step('decided', 200, { state: await state() });

  let catalogue = await inCatalogue();
  await step('catalogue-listed', catalogue.status, catalogue);

  await page.goto(`${platform}/bureau/versions/${release}`);
  await page.getByLabel('Motif (publié)').first().fill('Contrôle en cours après un signalement');
  await page.getByRole('button', { name: 'Suspendre', exact: true }).click();
  await page.waitForURL(/fait=suspend/);
  await step('suspended', 200, { state: await state() });

  catalogue = await inCatalogue();
  await step('catalogue-after-suspension', catalogue.status, catalogue);

  response = await page.goto(`${platform}/bureau/journaux`);
  await step('logs', response.status(), {
    verdicts: await page.getByRole('status').allInnerTexts(),
    faults: await page.getByRole('alert').count(),
  });

  response = await page.goto(`${platform}/bureau/rapport/${service}`);
  await step('report', response.status());
} finally {
  await browser.close();
}
