// The public APIs with the signed-in user's token; every failure becomes an ApiError.

import { session } from "./session.js";

export class ApiError extends Error {
  constructor(status, problem, network = false) {
    super(problem?.detail || problem?.title || (network ? "network" : `HTTP ${status}`));
    this.status = status;
    this.problem = problem || {};
    this.network = network;
  }

  /** Field errors of a 422 as {field: message}, the field named by its last path part. */
  get fields() {
    const out = {};
    for (const item of this.problem.errors || []) {
      const path = String(item.field || "");
      out[path] = item.message;
      out[path.split(".").pop()] = item.message;
    }
    return out;
  }
}

const listeners = new Set();
/** Called with every ApiError: the shell signs out on 401. */
export function onApiError(listener) {
  listeners.add(listener);
}

export async function api(path, { method = "GET", body, query, signal, idempotencyKey } = {}) {
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== "") params.set(key, value);
    }
    const text = params.toString();
    if (text) url += `?${text}`;
  }
  const headers = { Accept: "application/json, application/problem+json" };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    const failure = new ApiError(0, null, true);
    listeners.forEach((listener) => listener(failure));
    throw failure;
  }
  const raw = await response.text();
  let data = null;
  try {
    data = raw ? JSON.parse(raw) : null;
  } catch {
    data = { detail: raw.slice(0, 200) };
  }
  if (!response.ok) {
    const failure = new ApiError(response.status, data);
    listeners.forEach((listener) => listener(failure));
    throw failure;
  }
  return data;
}

export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}
