// Who the user ids in reports and settings are: the staff list (head and admin only), read
// page by page once per page load.

import { api } from "../api.js";
import { session } from "../session.js";

const MAX_PAGES = 20;
let known = null;

/** Every member of staff ({user_id, username, name, roles, active}); empty for a manager. */
export async function staffList(fresh = false) {
  if (!session.supervisor) return [];
  if (known && !fresh) return known;
  const people = [];
  let cursor;
  for (let pages = 0; pages < MAX_PAGES; pages += 1) {
    const page = await api("/api/clients/staff", { query: { limit: 60, cursor } });
    people.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  known = people;
  return people;
}

/** A user id shown as the person's name (or username); the id itself when unknown. */
export function nameOf(people, userId) {
  const person = people.find((item) => item.user_id === userId);
  return person ? person.name || person.username : userId;
}
