// Members: the welcome page, applying to join, signing in, and one's own
// profile (with the password change).

import { get, post, patch, requestId, ApiError, setToken } from './api.js';
import { session, startSession, signOut, restoreSession } from './session.js';
import {
  h, field, submitting, showFormError, toast, pageTitle, notice, countryOptions,
  organisationTypeOptions, orgTypeLabel, countryName, roleLabel, memberStateLabel,
  timeEl,
} from './ui.js';

export async function welcomeView(ctx) {
  ctx.title('');
  ctx.render(
    h('section', { class: 'hero' },
      pageTitle('Global consultation on citizen data'),
      h('p', { class: 'lead', text: 'The Collaborative on Citizen Data brings together national statistical offices, civil society, academia, national human rights institutions and UN agencies. Here members read the draft Copenhagen Framework on Citizen Data section by section, comment on it, and follow how the secretariat answers every comment.' }),
      h('div', { class: 'actions' },
        h('a', { class: 'button primary', href: '#/sign-in', text: 'Sign in', 'data-testid': 'welcome-sign-in' }),
        h('a', { class: 'button secondary', href: '#/apply', text: 'Apply to join', 'data-testid': 'welcome-apply' }))),
    h('section', { class: 'steps', 'aria-label': 'How it works' },
      h('div', { class: 'card' }, h('h2', { text: '1. Apply' }), h('p', { text: 'Tell us who you are and which organisation you work with. The secretariat reviews every application.' })),
      h('div', { class: 'card' }, h('h2', { text: '2. Read and comment' }), h('p', { text: 'Select a passage of the draft to comment on it, propose new wording, reply to others and endorse their comments.' })),
      h('div', { class: 'card' }, h('h2', { text: '3. See the response' }), h('p', { text: 'When a round closes, the secretariat answers each comment and publishes the comment–response record.' }))));
}

// ---- sign in ----------------------------------------------------------------

export async function signInView(ctx) {
  ctx.title('Sign in');
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, 'data-testid': 'sign-in-email' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'sign-in-password' });
  const form = h('form', { class: 'form narrow', 'data-testid': 'sign-in-form', novalidate: true },
    field('Email address', email, { field: 'email' }),
    field('Password', password, { field: 'password' }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary', text: 'Sign in', 'data-testid': 'sign-in-submit' })));
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
    toast(`Welcome, ${principal.displayName || 'member'}.`, 'success');
    ctx.navigate(ctx.query.get('next') || '#/consultations', { replace: true });
  });
  // The first secretariat account is made by the operator and comes with a
  // token only (deploy/local/run prints it): it signs in with that.
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true, 'data-testid': 'sign-in-token' });
  const tokenForm = h('form', { class: 'form', 'data-testid': 'token-sign-in-form', novalidate: true },
    field('Access token', token, { field: 'token', hint: 'A session token, like the one the operator gets when cdc starts ("cdc_…").' }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button secondary', text: 'Sign in with the token', 'data-testid': 'sign-in-token-submit' })));
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
    toast(`Welcome, ${principal.displayName || 'member'}.`, 'success');
    ctx.navigate(ctx.query.get('next') || '#/consultations', { replace: true });
  });

  ctx.render(
    h('div', { class: 'narrow' },
      pageTitle('Sign in'),
      h('p', { text: 'Sign in with the email address and password you gave when you applied.' }),
      form,
      h('details', { class: 'token-sign-in', 'data-testid': 'token-sign-in' },
        h('summary', { text: 'Sign in with an access token instead' }),
        tokenForm),
      h('p', { class: 'muted' }, 'Not a member yet? ', h('a', { href: '#/apply', text: 'Apply to join the Collaborative' }), '.')));
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
    field('Your name', controls.displayName, { field: `${prefix}display_name` }),
    field('Organisation', controls.organisation, { field: `${prefix}organisation`, hint: 'The organisation you work with or represent.' }),
    field('Type of organisation', controls.organisationType, { field: `${prefix}organisation_type` }),
    field('Country', controls.country, { field: `${prefix}country`, hint: 'The country you work in (ISO 3166-1 alpha-3 code, for example KEN).' }),
    field('Languages', controls.languages, { field: `${prefix}languages`, hint: 'Language tags separated by commas, for example: en, fr, es. The first is the language of your comments.' }),
    field('About you', controls.biography, { field: `${prefix}biography`, optional: true, hint: 'Up to 2000 characters.' }),
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
  ctx.title('Apply to join');
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true, maxlength: 254, 'data-testid': 'apply-email' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: 12, maxlength: 128, 'data-testid': 'apply-password' });
  const confirm = h('input', { type: 'password', name: 'confirm', autocomplete: 'new-password', required: true, 'data-testid': 'apply-password-confirm' });
  const profile = profileFields();
  const id = requestId();
  const form = h('form', { class: 'form', 'data-testid': 'apply-form', novalidate: true },
    h('fieldset', {},
      h('legend', { text: 'About you and your organisation' }),
      field('Email address', email, { field: 'member.email', hint: 'Shown only to you and the secretariat.' }),
      profile.fields),
    h('fieldset', {},
      h('legend', { text: 'Your password' }),
      field('Password', password, { field: 'password', hint: 'At least 12 characters; a passphrase of several words is easiest to remember. It must not contain your email address.' }),
      field('Repeat the password', confirm, { field: 'password_confirm' })),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary', text: 'Send my application', 'data-testid': 'apply-submit' })));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (password.value !== confirm.value) {
      showFormError(form, new ApiError({ code: 3, message: 'password_confirm: the two passwords differ' }));
      return;
    }
    const member = { email: email.value.trim(), ...profile.read() };
    const created = await submitting(form, () =>
      post('members:apply', { member, password: password.value, requestId: id }, { auth: false }));
    if (!created) return;
    ctx.render(
      h('div', { class: 'narrow' },
        pageTitle('Thank you for applying'),
        notice([
          h('p', { text: `Your application as ${created.displayName} (${created.organisation}) has been received and is waiting for the secretariat's approval.` }),
          h('p', { text: 'You can sign in with your email address and password once it is approved.' }),
        ], 'success', { 'data-testid': 'apply-done', role: 'status' }),
        h('p', {}, h('a', { class: 'button secondary', href: '#/sign-in', text: 'Go to sign in' }))));
    const heading = document.querySelector('.view h1');
    if (heading) heading.focus();
  });

  ctx.render(
    pageTitle('Apply to join the Collaborative'),
    h('p', { class: 'lead', text: 'Members of the Collaborative on Citizen Data take part in its consultations and community of practice. The secretariat reviews each application.' }),
    form);
}

// ---- profile -------------------------------------------------------------------

export async function profileView(ctx) {
  ctx.title('My profile');
  let member = await get(session.member, undefined, { signal: ctx.signal });
  const p = session.principal;
  const profile = profileFields(member);
  const form = h('form', { class: 'form', 'data-testid': 'profile-form', novalidate: true },
    h('fieldset', {}, h('legend', { text: 'Profile' }), profile.fields),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button primary', text: 'Save my profile', 'data-testid': 'profile-save' })));
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
      toast('Nothing has changed.', 'info');
      return;
    }
    const saved = await submitting(form, () =>
      patch(member.name, { name: member.name, etag: member.etag, ...values }, { update_mask: changed.map((k) => SNAKE[k]).join(',') }));
    if (saved) {
      member = saved;
      toast('Your profile is saved.', 'success');
      // The header shows the name from the token's principal.
      restoreSession().catch(() => {});
    }
  });

  const current = h('input', { type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'password-current' });
  const next = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 12, 'data-testid': 'password-new' });
  const passwordForm = h('form', { class: 'form', 'data-testid': 'password-form', novalidate: true },
    h('fieldset', {},
      h('legend', { text: 'Change your password' }),
      h('p', { class: 'hint', text: 'Changing it signs you out everywhere else.' }),
      field('Current password', current, { field: 'current_password' }),
      field('New password', next, { field: 'new_password', hint: 'At least 12 characters.' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button secondary', text: 'Change password' })));
  passwordForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const answer = await submitting(passwordForm, () =>
      post('members:changePassword', { currentPassword: current.value, newPassword: next.value }, { sessionCheck: false }));
    if (!answer) return;
    await startSession(answer.token);
    current.value = '';
    next.value = '';
    toast('Your password is changed. Other sessions were signed out.', 'success');
  });

  ctx.render(
    pageTitle('My profile'),
    h('dl', { class: 'facts' },
      h('dt', { text: 'Email' }), h('dd', { text: member.email || '' }),
      h('dt', { text: 'Role' }), h('dd', { text: roleLabel(p.role) }),
      h('dt', { text: 'Membership' }), h('dd', { text: memberStateLabel(member.state) }),
      h('dt', { text: 'Organisation' }), h('dd', { text: `${member.organisation} · ${orgTypeLabel(member.organisationType)} · ${countryName(member.country)}` }),
      h('dt', { text: 'Member since' }), h('dd', {}, timeEl(member.createTime, { dateOnly: true }))),
    form,
    passwordForm,
    h('section', { class: 'card' },
      h('h2', { text: 'Sign out' }),
      h('p', { text: 'Signing out ends this session on this device.' }),
      h('button', {
        type: 'button', class: 'button secondary', text: 'Sign out',
        onclick: async () => {
          await signOut();
          ctx.navigate('#/sign-in');
        },
      })));
}
