// Who is signed in: the token (api.js keeps it) and the Principal that
// GET /v1/members:authenticate returns for it. Listeners hear every change.

import { get, post, getToken, setToken, onSessionEnded } from './api.js';
import { t } from './i18n.js';

const listeners = new Set();
let principal = null;
let endedReason = '';

export const session = {
  get principal() {
    return principal;
  },
  get signedIn() {
    return !!principal;
  },
  get member() {
    return principal ? principal.member : '';
  },
  get role() {
    return principal ? principal.role : '';
  },
  get isSecretariat() {
    return !!principal && principal.role === 'ROLE_SECRETARIAT';
  },
  /** Members and the secretariat have an inbox; partner tokens do not. */
  get hasInbox() {
    return !!principal && principal.role !== 'ROLE_PARTNER';
  },
  /** Why the last session ended without a sign-out, once. */
  takeEndedReason() {
    const reason = endedReason;
    endedReason = '';
    return reason;
  },
};

export function onSessionChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify() {
  for (const listener of listeners) listener(principal);
}

/** Learns who the stored token belongs to; clears it if it no longer works. */
export async function restoreSession() {
  if (!getToken()) {
    const had = !!principal;
    principal = null;
    if (had) notify();
    return null;
  }
  try {
    principal = await get('members:authenticate', undefined, { sessionCheck: false });
  } catch (error) {
    if (error.code === 16) {
      setToken('');
      principal = null;
      endedReason = t('session.ended');
    } else {
      throw error;
    }
  }
  notify();
  return principal;
}

/** Uses a new token (from sign-in or a password change). */
export async function startSession(token) {
  setToken(token);
  principal = await get('members:authenticate', undefined, { sessionCheck: false });
  notify();
  return principal;
}

/** Signs out: revokes the token on the server (best effort) and forgets it. */
export async function signOut() {
  if (getToken()) {
    try {
      await post('members:signOut', {}, { sessionCheck: false });
    } catch {
      // The token may already be gone; forgetting it locally is what counts.
    }
  }
  setToken('');
  principal = null;
  notify();
}

onSessionEnded(() => {
  if (!principal) return;
  setToken('');
  principal = null;
  endedReason = t('session.expired');
  notify();
});

// Another tab signed in or out.
window.addEventListener('storage', (event) => {
  if (event.key !== 'cdc.token') return;
  restoreSession().catch(() => {});
});
