// Members: the welcome page, applying to join, signing in, and one's own
// profile (with the password change).

import { get, post, patch, requestId, ApiError, setToken } from './api.js';
import { session, startSession, signOut, restoreSession } from './session.js';
import {
  h, field, submitting, showFormError, toast, pageTitle, notice, countryOptions,
  organisationTypeOptions, orgTypeLabel, countryName, roleLabel, memberStateLabel,
  timeEl,
} from './ui.js';
import { t } from './i18n.js';

export async function welcomeView(ctx) {
  ctx.title('');
  ctx.render(
    h('section', { class: 'hero' },
      pageTitle(t('welcome.title')),
      h('p', { class: 'lead', text: t('welcome.lead') }),
      h('div', { class: 'actions' },
        h('a', { class: 'button primary', href: '#/sign-in', text: t('nav.signIn'), 'data-testid': 'welcome-sign-in' }),
        h('a', { class: 'button secondary', href: '#/apply', text: t('nav.apply'), 'data-testid': 'welcome-apply' }))),
    h('section', { class: 'steps', 'aria-label': t('welcome.howItWorks') },
      h('div', { class: 'card' }, h('h2', { text: t('welcome.step1') }), h('p', { text: t('welcome.step1Text') })),
      h('div', { class: 'card' }, h('h2', { text: t('welcome.step2') }), h('p', { text: t('welcome.step2Text') })),
      h('div', { class: 'card' }, h('h2', { text: t('welcome.step3') }), h('p', { text: t('welcome.step3Text') }))));
}

// ---- sign in ----------------------------------------------------------------

export async function signInView(ctx) {
  ctx.title(t('signIn.title'));
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, 'data-testid': 'sign-in-email' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'sign-in-password' });
  const form = h('form', { class: 'form narrow', 'data-testid': 'sign-in-form', novalidate: true },
    field(t('signIn.email'), email, { field: 'email' }),
    field(t('signIn.password'), password, { field: 'password' }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary', text: t('signIn.submit'), 'data-testid': 'sign-in-submit' })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!email.value.trim() || !password.value) {
      const missing = !email.value.trim() ? email : password;
      missing.setAttribute('aria-invalid', 'true');
      missing.focus();
      return;
    }
    const answer = await submitting(form, () =>
      post('members:signIn', { email: email.value.trim(), password: password.value }, { auth: false }));
    if (!answer) {
      password.value = '';
      return;
    }
    const principal = await submitting(form, () => startSession(answer.token));
    if (!principal) return;
    toast(t('signIn.welcome', { name: principal.displayName || t('signIn.member') }), 'success');
    ctx.navigate(ctx.query.get('next') || '#/consultations', { replace: true });
  });
  // The first secretariat account is made by the operator and comes with a
  // token only (deploy/local/run prints it): it signs in with that.
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true, 'data-testid': 'sign-in-token' });
  const tokenForm = h('form', { class: 'form', 'data-testid': 'token-sign-in-form', novalidate: true },
    field(t('signIn.token'), token, { field: 'token', hint: t('signIn.tokenHint') }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button secondary', text: t('signIn.tokenSubmit'), 'data-testid': 'sign-in-token-submit' })));
  tokenForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = token.value.trim();
    if (!value) {
      token.setAttribute('aria-invalid', 'true');
      token.focus();
      return;
    }
    const principal = await submitting(tokenForm, async () => {
      try {
        return await startSession(value);
      } catch (error) {
        setToken('');
        throw error;
      }
    });
    if (!principal) return;
    toast(t('signIn.welcome', { name: principal.displayName || t('signIn.member') }), 'success');
    ctx.navigate(ctx.query.get('next') || '#/consultations', { replace: true });
  });

  ctx.render(
    h('div', { class: 'narrow' },
      pageTitle(t('signIn.title')),
      h('p', { text: t('signIn.intro') }),
      form,
      h('details', { class: 'token-sign-in', 'data-testid': 'token-sign-in' },
        h('summary', { text: t('signIn.withToken') }),
        tokenForm),
      h('p', { class: 'muted' }, t('signIn.notMember'), h('a', { href: '#/apply', text: t('signIn.applyLink') }), '.')));
}

// ---- apply ------------------------------------------------------------------

/** The profile fields shared by the application and the profile page. */
function profileFields(member = {}, { prefix = 'member.' } = {}) {
  const controls = {
    displayName: h('input', { type: 'text', name: 'displayName', autocomplete: 'name', required: true, maxlength: 100, value: member.displayName || '', 'data-testid': 'profile-display-name' }),
    organisation: h('input', { type: 'text', name: 'organisation', autocomplete: 'organization', required: true, maxlength: 200, value: member.organisation || '', 'data-testid': 'profile-organisation' }),
    organisationType: h('select', { name: 'organisationType', required: true, 'data-testid': 'profile-organisation-type' }, organisationTypeOptions(member.organisationType || '')),
    country: h('select', { name: 'country', required: true, 'data-testid': 'profile-country' }, countryOptions(member.country || '')),
    languages: h('input', { type: 'text', name: 'languages', required: true, value: (member.languages || ['en']).join(', '), 'data-testid': 'profile-languages' }),
    biography: h('textarea', { name: 'biography', rows: 4, maxlength: 2000, value: member.biography || '', 'data-testid': 'profile-biography' }),
  };
  const fields = [
    field(t('profile.name'), controls.displayName, { field: `${prefix}display_name` }),
    field(t('profile.organisation'), controls.organisation, { field: `${prefix}organisation`, hint: t('profile.organisationHint') }),
    field(t('profile.organisationType'), controls.organisationType, { field: `${prefix}organisation_type` }),
    field(t('profile.country'), controls.country, { field: `${prefix}country`, hint: t('profile.countryHint') }),
    field(t('profile.languages'), controls.languages, { field: `${prefix}languages`, hint: t('profile.languagesHint') }),
    field(t('profile.about'), controls.biography, { field: `${prefix}biography`, optional: true, hint: t('profile.aboutHint') }),
  ];
  const read = () => ({
    displayName: controls.displayName.value.trim(),
    organisation: controls.organisation.value.trim(),
    organisationType: controls.organisationType.value || 'ORGANISATION_TYPE_UNSPECIFIED',
    country: controls.country.value,
    languages: controls.languages.value.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean),
    biography: controls.biography.value.trim(),
  });
  return { controls, fields, read };
}

export async function applyView(ctx) {
  ctx.title(t('apply.title'));
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true, maxlength: 254, 'data-testid': 'apply-email' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: 12, maxlength: 128, 'data-testid': 'apply-password' });
  const confirm = h('input', { type: 'password', name: 'confirm', autocomplete: 'new-password', required: true, 'data-testid': 'apply-password-confirm' });
  const profile = profileFields();
  const id = requestId();
  const form = h('form', { class: 'form', 'data-testid': 'apply-form', novalidate: true },
    h('fieldset', {},
      h('legend', { text: t('apply.aboutYou') }),
      field(t('signIn.email'), email, { field: 'member.email', hint: t('apply.emailHint') }),
      profile.fields),
    h('fieldset', {},
      h('legend', { text: t('apply.yourPassword') }),
      field(t('signIn.password'), password, { field: 'password', hint: t('apply.passwordHint') }),
      field(t('apply.repeatPassword'), confirm, { field: 'password_confirm' })),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary', text: t('apply.submit'), 'data-testid': 'apply-submit' })));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (password.value !== confirm.value) {
      showFormError(form, new ApiError({ code: 3, message: t('apply.passwordsDiffer') }));
      return;
    }
    const member = { email: email.value.trim(), ...profile.read() };
    const created = await submitting(form, () =>
      post('members:apply', { member, password: password.value, requestId: id }, { auth: false }));
    if (!created) return;
    ctx.render(
      h('div', { class: 'narrow' },
        pageTitle(t('apply.thanks')),
        notice([
          h('p', { text: t('apply.received', { name: created.displayName, organisation: created.organisation }) }),
          h('p', { text: t('apply.signInOnce') }),
        ], 'success', { 'data-testid': 'apply-done', role: 'status' }),
        h('p', {}, h('a', { class: 'button secondary', href: '#/sign-in', text: t('apply.goSignIn') }))));
    const heading = document.querySelector('.view h1');
    if (heading) heading.focus();
  });

  ctx.render(
    pageTitle(t('apply.heading')),
    h('p', { class: 'lead', text: t('apply.lead') }),
    form);
}

// ---- profile -------------------------------------------------------------------

export async function profileView(ctx) {
  ctx.title(t('profile.title'));
  let member = await get(session.member, undefined, { signal: ctx.signal });
  const p = session.principal;
  const profile = profileFields(member);
  const form = h('form', { class: 'form', 'data-testid': 'profile-form', novalidate: true },
    h('fieldset', {}, h('legend', { text: t('profile.legend') }), profile.fields),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary', text: t('profile.save'), 'data-testid': 'profile-save' })));
  const SNAKE = {
    displayName: 'display_name', organisation: 'organisation', organisationType: 'organisation_type',
    country: 'country', languages: 'languages', biography: 'biography',
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = profile.read();
    const changed = Object.keys(values).filter((key) =>
      JSON.stringify(values[key]) !== JSON.stringify(member[key] ?? (key === 'languages' ? [] : key === 'organisationType' ? 'ORGANISATION_TYPE_UNSPECIFIED' : '')));
    if (!changed.length) {
      toast(t('profile.unchanged'), 'info');
      return;
    }
    const saved = await submitting(form, () =>
      patch(member.name, { name: member.name, etag: member.etag, ...values }, { update_mask: changed.map((k) => SNAKE[k]).join(',') }));
    if (saved) {
      member = saved;
      toast(t('profile.saved'), 'success');
      // The header shows the name from the token's principal.
      restoreSession().catch(() => {});
    }
  });

  const current = h('input', { type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'password-current' });
  const next = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 12, 'data-testid': 'password-new' });
  const passwordForm = h('form', { class: 'form', 'data-testid': 'password-form', novalidate: true },
    h('fieldset', {},
      h('legend', { text: t('password.legend') }),
      h('p', { class: 'hint', text: t('password.hint') }),
      field(t('password.current'), current, { field: 'current_password' }),
      field(t('password.new'), next, { field: 'new_password', hint: t('password.newHint') })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button secondary', text: t('password.submit') })));
  passwordForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const answer = await submitting(passwordForm, () =>
      post('members:changePassword', { currentPassword: current.value, newPassword: next.value }, { sessionCheck: false }));
    if (!answer) return;
    await startSession(answer.token);
    current.value = '';
    next.value = '';
    toast(t('password.changed'), 'success');
  });

  ctx.render(
    pageTitle(t('profile.title')),
    h('dl', { class: 'facts' },
      h('dt', { text: t('profile.email') }), h('dd', { text: member.email || '' }),
      h('dt', { text: t('profile.role') }), h('dd', { text: roleLabel(p.role) }),
      h('dt', { text: t('profile.membership') }), h('dd', { text: memberStateLabel(member.state) }),
      h('dt', { text: t('profile.organisation') }), h('dd', { text: `${member.organisation} · ${orgTypeLabel(member.organisationType)} · ${countryName(member.country)}` }),
      h('dt', { text: t('profile.memberSince') }), h('dd', {}, timeEl(member.createTime, { dateOnly: true }))),
    form,
    passwordForm,
    h('section', { class: 'card' },
      h('h2', { text: t('profile.signOut') }),
      h('p', { text: t('profile.signOutText') }),
      h('button', {
        type: 'button', class: 'button secondary', text: t('profile.signOut'),
        onclick: async () => {
          await signOut();
          ctx.navigate('#/sign-in');
        },
      })));
}
