/** The seed every browser test starts from. */
export const E2E_USERS = {
  admin: { username: 'ada', password: 'ada-password-1' },
  viewer: { username: 'vic', password: 'vic-password-1' },
} as const;

export const E2E_PROJECT = { id: 'apollo', name: 'Apollo', souls: ['jarvis', 'shuri'] } as const;
