// A patient's journey through the pages, as a person clicks it: sign in
// with the demonstration identity, narrow a service's consent, use the
// service on its own site, find its reads in the access history, revoke,
// and find the service refused. Each step is reported (see report.mjs).
//
//   node patient-journey.mjs SCREENSHOT_DIR PLATFORM_URL SERVICE_ID SERVICE_NAME UNTIL
import { chromium } from 'playwright-core';
import { launchOptions, report } from './report.mjs';

const [shots, platform, service, name, until] = process.argv.slice(2);
const browser = await chromium.launch(launchOptions());
try {
  const context = await browser.newContext({ locale: 'fr-FR', bypassCSP: true });
  const page = await context.newPage();
  const step = (label, status, extra) => report(page, shots, label, status, extra);

  let response = await page.goto(`${platform}/connexion`);
  await step('sign-in', response.status());
  await page.getByRole('button', { name: 'Camille Martin — patiente de démonstration' }).click();
  await page.waitForURL('**/mes-services?**');
  await step('my-services', 200);

  // The patient's own data, each kind on its page.
  for (const kind of ['mesures', 'agenda', 'documents', 'messages']) {
    response = await page.goto(`${platform}/mes-donnees/${kind}`);
    await step(`my-data-${kind}`, response.status(), {
      shown: await page.getByRole('status').first().innerText(),
    });
  }

  response = await page.goto(`${platform}/catalogue/${service}`);
  const boxes = page.getByRole('checkbox');
  const total = await boxes.count();
  // Untick the BMI and the service's own notes; end the grant on UNTIL.
  await page.getByLabel('Voir : vos mesures (indice de masse corporelle)').uncheck();
  await page.getByLabel('Garder ses propres notes à votre sujet, dans un espace réservé à ce service').uncheck();
  await page.getByLabel('Jusqu\'au (inclus)').fill(until);
  await page.locator('section.consent').scrollIntoViewIfNeeded();
  await step('consent-form', response.status(), { boxes: total });
  await page.getByRole('button', { name: 'Donner mon accord' }).click();
  await page.waitForURL('**/mes-services?**');
  await step('consent-given', 200, {
    confirmation: await page.getByRole('status').first().innerText(),
    may: await page.locator('article', { hasText: name }).getByRole('listitem').allInnerTexts(),
  });

  const [opened] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/' && r.request().isNavigationRequest()),
    page.getByRole('link', { name: `Ouvrir ${name}`, exact: true }).click(),
  ]);
  await page.waitForLoadState('load');
  const serviceUrl = page.url();
  await step('service', opened.status(), {
    policy: (await opened.allHeaders())['content-security-policy'] ?? '',
  });

  // The service's own form, posted on its own site, under its sandbox.
  await page.getByLabel('Poids (kg)').fill('71.5');
  const [weighed] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Enregistrer la pesée' }).click(),
  ]);
  await page.waitForLoadState('load');
  await step('service-weighed', weighed.status(), {
    shows: await page.locator('body').innerText(),
  });

  response = await page.goto(`${platform}/mes-acces?service=${service}`);
  await step('accesses', response.status(), {
    rows: await page.locator('tbody tr').allInnerTexts(),
  });

  response = await page.goto(`${platform}/mes-services`);
  await page.getByRole('button', { name: `Retirer mon accord ${name}`, exact: true }).click();
  await page.waitForURL('**/mes-services?**');
  await step('revoked', 200, {
    confirmation: await page.getByRole('status').first().innerText(),
  });

  response = await page.goto(serviceUrl);
  console.log(JSON.stringify({
    name: 'service-after-revoke',
    url: page.url(),
    status: response.status(),
    body: await page.locator('body').innerText(),
    violations: [],
  }));
} finally {
  await browser.close();
}
