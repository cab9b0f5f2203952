// A delegation, clicked through: the patient makes a code for three
// sections of their space and signs out; a physician signs in, enters the
// code, reads those sections, adds a document and opens a conversation. Each step is reported (see report.mjs).
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
  await page.getByLabel('Messages').check();
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

  // The physician writes: a document in a category they read, then a
  // conversation with the patient.
  await page.getByLabel('Titre').fill('Note de suivi');
  await page.getByLabel('Contenu (texte)').fill('Tension stable.');
  await page.getByRole('button', { name: 'Ajouter un document au dossier' }).click();
  await page.waitForURL(/fait=1/);
  await step('pro-document-added', 200, {
    confirmation: await page.getByRole('status').first().innerText(),
    shown: await page.locator('tbody').innerText(),
  });
  await page.getByRole('link', { name: 'Messages' }).click();
  await page.waitForLoadState('load');
  await page.getByLabel('Objet').fill('Votre prochain rendez-vous');
  await page.getByLabel('Message', { exact: true }).fill('Pouvez-vous me rappeler ?');
  await page.getByRole('button', { name: 'Envoyer' }).click();
  await page.waitForURL(/fait=1/);
  await step('pro-message-sent', 200, {
    shown: await page.locator('main').innerText(),
  });
} finally {
  await browser.close();
}
