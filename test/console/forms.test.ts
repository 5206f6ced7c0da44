import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { Harness } from '../support/harness.js';
import { SETTING_NAMES } from '../../src/service/settings.js';

const cookieOf = (setCookie: unknown) => String(setCookie).split(';')[0]!;

/**
 * Issue 25, "Forms": a refused form kept nothing and showed the first error on a bare page. Now it
 * comes back with what was typed and every error beside its field; a saved form says what it saved;
 * one bad value saves nothing.
 */
for (const engine of ENGINES) {
  describe(`console forms keep what was typed and say what happened (${engine})`, () => {
    let h: Harness;
    let cookie: string;
    before(async () => {
      h = await Harness.start(engine);
      await h.org('acme');
      const { secret } = await h.wiring.directory.access.createLoginLink();
      cookie = cookieOf((await h.app.inject({ method: 'POST', url: `/admin/login/${secret}` })).headers['set-cookie']);
    });
    after(async () => h.close());

    const post = async (url: string, fields: Record<string, string>) => {
      const page = await h.app.inject({ url: '/admin', headers: { cookie } });
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
      return h.app.inject({
        method: 'POST',
        url,
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
      });
    };
    const settingsForm = async () => {
      const body = (await h.app.inject({ url: '/admin/orgs/acme/settings', headers: { cookie } })).body;
      // Every field the form shows, with the value it shows.
      const fields: Record<string, string> = {};
      for (const m of body.matchAll(/<input id="s-(\w+)" name="\w+" type="\w+" value="([^"]*)"/g)) fields[m[1]!] = m[2]!;
      for (const m of body.matchAll(/<select id="s-(\w+)"[\s\S]*?<option value="([^"]*)" selected>/g)) fields[m[1]!] = m[2]!;
      return { body, fields };
    };

    test('settings: grouped, in words; two bad values both shown beside their fields, what was typed kept, nothing saved', async () => {
      const { body, fields } = await settingsForm();
      assert.match(body, /<legend>What identity providers may send<\/legend>[\s\S]*<legend>Limits<\/legend>/);
      assert.match(body, /<label for="s-rateLimit">Requests per second, per credential<\/label>/);
      assert.match(body, /id="s-rateLimit-help" class="help">Sustained; 0 turns the limit off/);
      assert.deepEqual(Object.keys(fields).sort(), SETTING_NAMES.filter((k) => k !== 'roles').sort(), 'every setting but the roles shorthand');
      const before = (await h.directory.organizations.get('acme')).settings;
      const refused = await post('/admin/orgs/acme/settings', { ...fields, rateLimit: '-5', maxResults: '20000', deleteMode: 'deactivate' });
      assert.equal(refused.statusCode, 400);
      assert.match(refused.body, /These 2 problems kept it from being saved/);
      assert.match(
        refused.body,
        /<p id="s-rateLimit-error" class="field-error">Requests per second, per credential must be at least 0 \(not &quot;-5&quot;\)\.<\/p>/,
      );
      assert.match(refused.body, /<p id="s-maxResults-error" class="field-error">Largest page must be at most 10000 \(not &quot;20000&quot;\)\.<\/p>/);
      assert.match(
        refused.body,
        /id="s-rateLimit" name="rateLimit" type="number" value="-5"[^>]*aria-describedby="s-rateLimit-help s-rateLimit-error" aria-invalid="true"/,
      );
      assert.match(refused.body, /<select id="s-deleteMode"[\s\S]*?<option value="deactivate" selected>/, 'the valid change is kept too');
      assert.match(refused.body, /<a href="#s-maxResults">/, 'the summary links to the field');
      assert.deepEqual((await h.directory.organizations.get('acme')).settings, before, 'one bad value saves nothing');
    });

    test('settings: a save says what it saved, and a save that changes nothing says so', async () => {
      const { fields } = await settingsForm();
      const saved = await post('/admin/orgs/acme/settings', { ...fields, rateLimit: '50', allowedEmailDomains: 'acme.com, acme.co.uk' });
      assert.equal(saved.statusCode, 303);
      const page = await h.app.inject({ url: saved.headers.location!, headers: { cookie } });
      assert.match(page.body, /<div class="flash" role="status">Saved: Allowed email domains, Requests per second, per credential\.<\/div>/);
      const org = await h.directory.organizations.get('acme');
      assert.equal(org.settings.rateLimit, 50);
      assert.deepEqual(org.settings.allowedEmailDomains, ['acme.com', 'acme.co.uk']);
      const again = await post('/admin/orgs/acme/settings', (await settingsForm()).fields);
      const unchanged = await h.app.inject({ url: again.headers.location!, headers: { cookie } });
      assert.match(unchanged.body, /Nothing to save: no setting was changed\./);
    });

    test('a new organization refused: the slug kept with the reason beside it; the delete form refused the same way', async () => {
      const taken = await post('/admin/orgs', { slug: 'acme', name: 'Acme Again', requireEmailUserName: 'true' });
      assert.equal(taken.statusCode, 400);
      assert.match(taken.body, /<p id="slug-error" class="field-error">Organization &quot;acme&quot; already exists\.<\/p>/);
      assert.match(taken.body, /id="name" name="name" type="text" value="Acme Again"/);
      assert.match(taken.body, /id="require-email" name="requireEmailUserName" value="true" checked/);
      const bad = await post('/admin/orgs', { slug: 'Not A Slug!' });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /id="slug" name="slug" type="text" value="Not A Slug!"/);
      assert.match(bad.body, /Invalid slug &quot;Not A Slug!&quot;: use 1-63 lower-case letters/);
      const wrong = await post('/admin/orgs/acme/delete', { confirm: 'acm' });
      assert.equal(wrong.statusCode, 400);
      assert.match(wrong.body, /<p id="confirm-error" class="field-error">Type the slug acme exactly/);
      assert.ok(await h.directory.organizations.find('acme'), 'not deleted');
    });

    test('a refused token label and webhook URL come back beside their fields', async () => {
      const tokens = (await h.directory.organizations.listTokens('acme')).length;
      const token = await post('/admin/orgs/acme/tokens', { label: '   ', scope: 'app', expires: '90d' });
      assert.equal(token.statusCode, 400);
      assert.match(token.body, /<p id="label-error" class="field-error">A label is required/);
      assert.match(token.body, /<option value="app" selected>/);
      assert.match(token.body, /<option value="90d" selected>/);
      assert.equal((await h.directory.organizations.listTokens('acme')).length, tokens, 'no token issued');
      const hook = await post('/admin/orgs/acme/webhooks', { url: 'https://app.example.com/events', events: 'user.created,user.exploded', format: 'json' });
      assert.equal(hook.statusCode, 400);
      assert.match(hook.body, /<p id="events-error" class="field-error">Unknown event type &quot;user\.exploded&quot;/);
      assert.match(hook.body, /id="url" name="url" type="url" value="https:\/\/app\.example\.com\/events"/);
      assert.deepEqual(await h.wiring.webhooks.list('acme'), []);
    });

    test('branding through the console (multipart): a logo that is not an image is refused by its bytes, whatever its declared type', async () => {
      const page = await h.app.inject({ url: '/admin/branding', headers: { cookie } });
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const multipart = (parts: [string, string, { filename: string; type: string }?][]) => {
        const boundary = '----rollcall-test-boundary';
        const body = parts
          .map(([name, value, file]) =>
            file
              ? `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\n\r\n${value}\r\n`
              : `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
          )
          .join('');
        return h.app.inject({
          method: 'POST',
          url: '/admin/branding',
          headers: { cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
          payload: `${body}--${boundary}--\r\n`,
        });
      };
      const refused = await multipart([
        ['_csrf', csrf],
        ['productName', 'Acme HR'],
        ['accent', 'indigo'],
        ['logo', '<html><script>alert(1)</script></html>', { filename: 'logo.png', type: 'image/png' }],
      ]);
      assert.equal(refused.statusCode, 400);
      assert.match(refused.body, /<p id="brand-accent-error" class="field-error">The accent colour must be #rrggbb/);
      assert.match(refused.body, /<p id="brand-logo-error" class="field-error">The logo must be a PNG, JPEG, WebP or SVG image\.<\/p>/);
      assert.match(refused.body, /id="brand-name" name="productName" type="text" value="Acme HR"/);
      assert.equal((await h.wiring.directory.branding.current()).productName, undefined, 'nothing saved');
      // Without the CSRF token, nothing changes either.
      assert.equal((await multipart([['productName', 'Evil']])).statusCode, 403);
      const saved = await multipart([
        ['_csrf', csrf],
        ['productName', 'Acme HR'],
        ['accent', '#4F46E5'],
        ['logo', '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>', { filename: 'logo.svg', type: 'image/svg+xml' }],
      ]);
      assert.equal(saved.statusCode, 303);
      const b = await h.wiring.directory.branding.current();
      assert.deepEqual([b.productName, b.accent, b.logo?.type], ['Acme HR', '#4f46e5', 'image/svg+xml']);
      // The logo is served as an image that runs nothing when opened directly.
      const logo = await h.app.inject({ url: '/setup/assets/logo' });
      assert.equal(logo.headers['content-type'], 'image/svg+xml');
      assert.match(String(logo.headers['content-security-policy']), /sandbox/);
      const css = await h.app.inject({ url: '/setup/assets/brand.css' });
      assert.match(css.body, /--accent: #4f46e5/);
      // A pale accent marks the header but never colours text it would make unreadable.
      await h.wiring.directory.branding.set({ accent: '#fde047' });
      const pale = (await h.app.inject({ url: '/setup/assets/brand.css' })).body;
      assert.match(pale, /--accent: #fde047/);
      assert.doesNotMatch(pale, /--blue: #fde047; --on-blue: #ffffff/, 'yellow on white would fail 4.5:1');
      assert.match(pale, /prefers-color-scheme: dark\) \{ :root \{ --blue: #fde047/, 'on the dark ground it reads well');
      await h.wiring.directory.branding.set({ productName: null, accent: null, logo: null });
      assert.equal((await h.app.inject({ url: '/setup/assets/logo' })).statusCode, 404);
    });
  });
}
