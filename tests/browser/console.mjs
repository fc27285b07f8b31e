// console.mjs: drives Debian's chromium (headless, through playwright-core) over the console that
// tests/browser.test serves from a real lighttpd.  It prints one TAP-shaped line per check,
// "ok - ..." or "not ok - ...", which browser.test counts, and exits 0 whatever they say.
//   node console.mjs BASE-URL USER PASSWORD SCREENSHOT-FILE
// BASE-URL is the console's address (http://127.0.0.1:PORT/twhook-console).  The checks:
// each page loads with 200 and without a console error (a blocked style or image is one);
// the state links of the Jobs page narrow its rows; the Deliveries filter narrows its rows;
// the Retry button of the one dead job answers with the page saying it is queued again; and
// a screenshot of the Overview is saved.
import { chromium } from 'playwright-core';

const [base, user, password, screenshot] = process.argv.slice(2);
const say = (good, what) => console.log(`${good ? 'ok' : 'not ok'} - ${what}`);

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	// No sandbox (the tests may run as root), no network of its own beyond the page.
	args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ httpCredentials: { username: user, password } });
const page = await context.newPage();
page.setDefaultTimeout(15000);
let errors = [];
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
page.on('pageerror', (e) => errors.push(String(e)));
page.on('requestfailed', (r) => errors.push(`${r.url()}: ${r.failure()?.errorText}`));

// visit PATH: loads it, says whether it answered 200 without a console error.
async function visit(path, what) {
	errors = [];
	const answer = await page.goto(base + path, { waitUntil: 'load' });
	say(answer && answer.status() === 200, `${what}: 200 (got ${answer && answer.status()})`);
	say(errors.length === 0, `${what}: no console errors${errors.length ? ': ' + errors.join('; ') : ''}`);
}
const rows = (selector) => page.locator(selector).count();

try {
	for (const [path, what] of [['/', 'the Overview'], ['/deliveries', 'the Deliveries'],
	    ['/jobs', 'the Jobs'], ['/store', 'the Store']])
		await visit(path, what);

	// The Jobs page's state links narrow its rows to one state.
	await visit('/jobs', 'the Jobs page again');
	const allJobs = await rows('table tr:has(td)');
	await page.getByRole('link', { name: 'dead', exact: true }).click();
	await page.waitForLoadState('load');
	const deadJobs = await rows('table tr:has(td)');
	say(allJobs > deadJobs && deadJobs === 1,
	    `the "dead" link narrows the jobs from ${allJobs} to ${deadJobs} (1 expected)`);

	// The Deliveries filter narrows its rows to one endpoint.
	await visit('/deliveries', 'the Deliveries page again');
	const allDeliveries = await rows('table.deliveries tr:has(td)');
	await page.locator('select[name="endpoint"]').selectOption('outgoing');
	await page.getByRole('button', { name: 'Filter' }).click();
	await page.waitForLoadState('load');
	const outgoing = await rows('table.deliveries tr:has(td)');
	const endpoints = await page.locator('table.deliveries td.endpoint').allTextContents();
	say(outgoing > 0 && outgoing < allDeliveries && endpoints.every((e) => e === 'outgoing'),
	    `the endpoint filter narrows the deliveries from ${allDeliveries} to ${outgoing}, all outgoing`);

	// The dead job's Retry button.
	await visit('/jobs?state=dead', 'the dead jobs');
	errors = [];
	await page.getByRole('button', { name: 'Retry' }).click();
	await page.waitForLoadState('load');
	const text = await page.locator('body').innerText();
	say(/queued again/i.test(text) && errors.length === 0,
	    `Retry answers with the job queued again${errors.length ? ': ' + errors.join('; ') : ''}`);

	await visit('/', 'the Overview for the screenshot');
	await page.setViewportSize({ width: 1200, height: 900 });
	await page.screenshot({ path: screenshot, fullPage: true });
	say(true, `a screenshot of the Overview in ${screenshot}`);
} catch (e) {
	say(false, `the browser run ended early: ${e}`);
}
await browser.close();
