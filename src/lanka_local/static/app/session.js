// Who is signed in: the ID token (kept in sessionStorage, as the sign-in page always did)
// and what it says about the user.

const TOKEN = "lanka.id_token";
const OFFICE = ["admin", "head", "manager"];

function decode(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(
      atob(part).split("").map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join(""),
    );
    return JSON.parse(json);
  } catch {
    return null;
  }
}

export const session = {
  token: sessionStorage.getItem(TOKEN),
  get claims() {
    return this.token ? decode(this.token) : null;
  },
  get valid() {
    const claims = this.claims;
    return Boolean(claims && (!claims.exp || claims.exp * 1000 > Date.now()));
  },
  get userId() {
    return this.claims?.sub || "";
  },
  get username() {
    const claims = this.claims || {};
    return claims["cognito:username"] || claims.username || claims.sub || "";
  },
  get roles() {
    const groups = this.claims?.["cognito:groups"] || [];
    return Array.isArray(groups) ? groups : String(groups).split(/[ ,]+/).filter(Boolean);
  },
  has(...roles) {
    return roles.some((role) => this.roles.includes(role));
  },
  get office() {
    return this.has(...OFFICE);
  },
  get supervisor() {
    return this.has("admin", "head");
  },
  signIn(token) {
    this.token = token;
    sessionStorage.setItem(TOKEN, token);
  },
  signOut() {
    this.token = null;
    sessionStorage.removeItem(TOKEN);
  },
};
