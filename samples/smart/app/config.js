// The sample app's registration. With Azure AD: the Application (client) ID of the app registration
// whose redirect URI is this folder's index.html. Any value works with a test authority.
export const CLIENT_ID = 'hestia-smart-sample';
