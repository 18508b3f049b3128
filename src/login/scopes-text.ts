/** What each scope means to a person, for the consent page. */
export function describeScope(scope: string): string {
  switch (scope) {
    case 'openid':
      return 'Know who you are (your account ID)';
    case 'profile':
      return 'See your name';
    case 'email':
      return 'See your email address';
    case 'offline_access':
      return 'Stay connected when you are not using it';
    default:
      return `Access “${scope}”`;
  }
}
