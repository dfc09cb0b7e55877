// <lanka-price-calculator>: the company's price list as a calculator; the server prices.
import { ApiError, BASE_CSS, RetryKey, bookingApi, call, debounce, escapeHtml, langOf, money, plainError } from "./lanka-common.js";

const TEXTS = {
  uk: {
    title: "Розрахунок вартості",
    item: "Що розрахувати",
    sizes: "Розміри",
    options: "Опції",
    services: "Послуги",
    promo: "Промокод",
    requires: "потребує",
    excludes: "не поєднується з",
    range: (min, max, unit) => `від ${min} до ${max} ${unit}`,
    outOfRange: (name, min, max, unit) => `${name}: від ${min} до ${max} ${unit}.`,
    loading: "Завантаження…",
    calculating: "Рахуємо…",
    breakdown: "Розрахунок",
    position: "Позиція",
    amount: "Сума",
    discount: "Знижка",
    minimum: "Доплата до мінімального замовлення",
    vatIncluded: (p) => `у т. ч. ПДВ ${p}%`,
    vatAdded: (p) => `ПДВ ${p}%`,
    rounding: "Округлення",
    total: "Разом",
    totalLive: (sum) => `Разом: ${sum}`,
    request: "Надіслати запит на цей розрахунок",
    name: "Ім'я",
    phone: "Телефон",
    email: "E-mail (необов'язково)",
    address: "Адреса (необов'язково)",
    comment: "Коментар (необов'язково)",
    consent: "Я погоджуюся на обробку моїх даних, щоб зі мною зв'язалися щодо замовлення.",
    send: "Надіслати запит",
    sending: "Надсилаємо…",
    sent: (id, until) => `Дякуємо! Ваш розрахунок № ${id} збережено, він дійсний до ${until}. Менеджер зв'яжеться з вами.`,
    again: "Новий розрахунок",
    fix: "Виправте позначені поля.",
    required: "Заповніть це поле.",
    consentNeeded: "Потрібна ваша згода.",
    offline: "Немає з'єднання. Перевірте інтернет і спробуйте ще раз — введене збережено.",
    tooMany: "Забагато запитів. Зачекайте хвилину й спробуйте ще раз.",
    serverDown: "Сервер тимчасово недоступний. Спробуйте ще раз за хвилину.",
    noPrices: "Прайс ще не налаштовано.",
    trap: "Не заповнюйте це поле",
  },
  en: {
    title: "Price calculator",
    item: "What to price",
    sizes: "Sizes",
    options: "Options",
    services: "Services",
    promo: "Promo code",
    requires: "requires",
    excludes: "cannot go with",
    range: (min, max, unit) => `from ${min} to ${max} ${unit}`,
    outOfRange: (name, min, max, unit) => `${name}: from ${min} to ${max} ${unit}.`,
    loading: "Loading…",
    calculating: "Calculating…",
    breakdown: "Breakdown",
    position: "Item",
    amount: "Amount",
    discount: "Discount",
    minimum: "Top-up to the minimum order",
    vatIncluded: (p) => `incl. VAT ${p}%`,
    vatAdded: (p) => `VAT ${p}%`,
    rounding: "Rounding",
    total: "Total",
    totalLive: (sum) => `Total: ${sum}`,
    request: "Send a request for this price",
    name: "Name",
    phone: "Phone",
    email: "E-mail (optional)",
    address: "Address (optional)",
    comment: "Comment (optional)",
    consent: "I agree to the processing of my data so that you can contact me about the order.",
    send: "Send request",
    sending: "Sending…",
    sent: (id, until) => `Thank you! Your quote no. ${id} is saved and valid until ${until}. A manager will contact you.`,
    again: "New calculation",
    fix: "Please correct the marked fields.",
    required: "Please fill this in.",
    consentNeeded: "Your consent is required.",
    offline: "No connection. Check the internet and try again — what you typed is kept.",
    tooMany: "Too many requests. Wait a minute and try again.",
    serverDown: "The server is unavailable for now. Try again in a minute.",
    noPrices: "No price list yet.",
    trap: "Do not fill this in",
  },
};

let instances = 0;

class LankaPriceCalculator extends HTMLElement {
  static get observedAttributes() {
    return ["lang", "service"];
  }

  constructor() {
    super();
    this.uid = `lpc${++instances}`;
    this.attachShadow({ mode: "open" });
    this.book = null;
    this.retryKey = new RetryKey();
    this.calculateSoon = debounce(() => this.calculate(), 300);
    this.sequence = 0;
  }

  get t() {
    return TEXTS[langOf(this)];
  }

  connectedCallback() {
    this.load();
  }

  attributeChangedCallback(name, before, after) {
    if (before !== after && this.isConnected && this.loads) this.load();
  }

  async load() {
    const mine = (this.loads = (this.loads || 0) + 1);
    this.shadowRoot.innerHTML = `<style>${BASE_CSS}</style><div class="root" lang="${langOf(this)}"><p role="status">${this.t.loading}</p></div>`;
    try {
      const book = await call(`${bookingApi(this)}/public/price-book?lang=${langOf(this)}`);
      if (mine !== this.loads) return; // the language changed meanwhile
      this.book = book;
    } catch (error) {
      if (mine !== this.loads) return;
      const text = error.status === 404 ? this.t.noPrices : plainError(error, this.t);
      this.shadowRoot.querySelector(".root").innerHTML = `<p class="alert" role="alert">${escapeHtml(text)}</p>`;
      return;
    }
    const wanted = this.getAttribute("service");
    this.itemKey = (this.book.items.find((item) => item.key === wanted) || this.book.items[0]).key;
    this.render();
  }

  get item() {
    return this.book.items.find((item) => item.key === this.itemKey);
  }

  id(name) {
    return `${this.uid}-${name}`;
  }

  render() {
    const t = this.t;
    const book = this.book;
    const item = this.item;
    const root = this.shadowRoot.querySelector(".root");
    const items = book.items.map((it) => `<option value="${escapeHtml(it.key)}"${it.key === item.key ? " selected" : ""}>${escapeHtml(it.name)}</option>`).join("");
    const names = Object.fromEntries(item.options.map((o) => [o.key, o.name]));
    const inputs = item.inputs.map((input) => {
      const id = this.id(`in-${input.key}`);
      const hint = t.range(input.min, input.max, input.unit);
      return `<label for="${id}">${escapeHtml(input.name)}, ${escapeHtml(input.unit)}</label>
        <input type="number" inputmode="numeric" id="${id}" name="${escapeHtml(input.key)}" data-input="${escapeHtml(input.key)}"
          min="${input.min}" max="${input.max}" step="1" value="${input.default ?? ""}" required
          aria-describedby="${id}-hint ${id}-error">
        <p class="hint" id="${id}-hint">${escapeHtml(hint)}</p><p class="error" id="${id}-error"></p>`;
    }).join("");
    const options = item.options.map((option) => {
      const id = this.id(`opt-${option.key}`);
      const rules = [
        ...option.requires.map((k) => `${t.requires} «${names[k]}»`),
        ...option.excludes.map((k) => `${t.excludes} «${names[k]}»`),
      ];
      // The rules describe the box (aria-describedby) but are not part of its name.
      const hint = rules.length ? `<p class="hint rule" id="${id}-hint">${escapeHtml(rules.join("; "))}</p>` : "";
      return `<label class="choice" for="${id}"><input type="checkbox" id="${id}" data-option="${escapeHtml(option.key)}"${rules.length ? ` aria-describedby="${id}-hint"` : ""}>
        <span>${escapeHtml(option.name)}</span></label>${hint}`;
    }).join("");
    const fees = book.fees.filter((fee) => fee.optional).map((fee) => {
      const id = this.id(`fee-${fee.key}`);
      return `<label class="choice" for="${id}"><input type="checkbox" id="${id}" data-fee="${escapeHtml(fee.key)}">
        <span>${escapeHtml(fee.name)} — ${escapeHtml(money(fee.amount, book.currency, langOf(this)))}</span></label>`;
    }).join("");
    root.innerHTML = `
      <h2 id="${this.id("title")}">${t.title}</h2>
      <form novalidate aria-labelledby="${this.id("title")}" data-part="calculator">
        <label for="${this.id("item")}">${t.item}</label>
        <select id="${this.id("item")}" data-part="item" aria-describedby="${this.id("item-desc")}">${items}</select>
        <p class="hint" id="${this.id("item-desc")}">${escapeHtml(item.description || "")}</p>
        <fieldset><legend>${t.sizes}</legend>${inputs}</fieldset>
        ${options ? `<fieldset><legend>${t.options}</legend>${options}<p class="error" id="${this.id("options-error")}" role="alert"></p></fieldset>` : ""}
        ${fees ? `<fieldset><legend>${t.services}</legend>${fees}</fieldset>` : ""}
        <label for="${this.id("promo")}">${t.promo}</label>
        <input type="text" id="${this.id("promo")}" data-part="promo" autocomplete="off" maxlength="40" aria-describedby="${this.id("promo-error")}">
        <p class="error" id="${this.id("promo-error")}"></p>
      </form>
      <section aria-labelledby="${this.id("result-title")}">
        <h3 id="${this.id("result-title")}">${t.breakdown}</h3>
        <div data-part="breakdown"></div>
        <p class="total" data-part="total" role="status" aria-live="polite" aria-atomic="true"></p>
      </section>
      <form novalidate data-part="request" aria-labelledby="${this.id("request-title")}">
        <h3 id="${this.id("request-title")}">${t.request}</h3>
        ${this.field("name", t.name, "text", "name", true)}
        ${this.field("phone", t.phone, "tel", "tel", true)}
        ${this.field("email", t.email, "email", "email", false)}
        ${this.field("address", t.address, "text", "street-address", false)}
        <label for="${this.id("comment")}">${t.comment}</label>
        <textarea id="${this.id("comment")}" data-field="comment" maxlength="4000"></textarea>
        <div class="trap" aria-hidden="true"><label for="${this.id("website")}">${t.trap}</label>
          <input type="text" id="${this.id("website")}" data-field="website" tabindex="-1" autocomplete="off"></div>
        <label class="choice" for="${this.id("consent")}"><input type="checkbox" id="${this.id("consent")}" data-field="consent" aria-describedby="${this.id("consent-error")}"><span>${t.consent}</span></label>
        <p class="error" id="${this.id("consent-error")}"></p>
        <p data-part="alert" role="alert"></p>
        <button type="submit" data-part="send">${t.send}</button>
      </form>`;
    root.querySelector("[data-part=item]").addEventListener("change", (event) => {
      this.itemKey = event.target.value;
      this.render();
      this.shadowRoot.querySelector("[data-part=item]").focus();
    });
    root.querySelector("[data-part=calculator]").addEventListener("input", () => this.changed());
    root.querySelector("[data-part=calculator]").addEventListener("change", () => this.changed());
    root.querySelector("[data-part=calculator]").addEventListener("submit", (event) => event.preventDefault());
    root.querySelector("[data-part=request]").addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.changed();
  }

  field(name, label, type, autocomplete, required) {
    const id = this.id(name);
    return `<label for="${id}">${label}</label>
      <input type="${type}" id="${id}" data-field="${name}" autocomplete="${autocomplete}" maxlength="300"${required ? " required aria-required=\"true\"" : ""}
        aria-describedby="${id}-error"><p class="error" id="${id}-error"></p>`;
  }

  /** The calculation as the form says, or null (with the fields marked) if it is not valid. */
  calculation() {
    const root = this.shadowRoot;
    let valid = true;
    const inputs = {};
    for (const input of this.item.inputs) {
      const element = root.getElementById(this.id(`in-${input.key}`));
      const error = root.getElementById(`${this.id(`in-${input.key}`)}-error`);
      const raw = element.value.trim();
      const value = Number(raw);
      let message = "";
      if (raw === "") message = this.t.required;
      else if (!Number.isInteger(value) || value < input.min || value > input.max) {
        message = this.t.outOfRange(input.name, input.min, input.max, input.unit);
      }
      element.setAttribute("aria-invalid", message ? "true" : "false");
      error.textContent = message;
      if (message) valid = false;
      else inputs[input.key] = value;
    }
    const options = [...root.querySelectorAll("[data-option]:checked")].map((el) => el.dataset.option);
    const fees = [...root.querySelectorAll("[data-fee]:checked")].map((el) => el.dataset.fee);
    const promo = root.querySelector("[data-part=promo]").value.trim();
    if (!valid) return null;
    return { lines: [{ item: this.item.key, inputs, options }], fees, promo_code: promo || null, lang: langOf(this) };
  }

  changed() {
    this.applyOptionRules();
    this.shadowRoot.getElementById(this.id("promo-error")).textContent = "";
    this.shadowRoot.querySelector("[data-part=promo]").setAttribute("aria-invalid", "false");
    if (this.calculation()) {
      this.shadowRoot.querySelector("[data-part=total]").textContent = this.t.calculating;
      this.calculateSoon();
    } else {
      this.showBreakdown(null);
    }
  }

  // An option whose partner it excludes is chosen, or that lacks one it requires, cannot be ticked.
  applyOptionRules() {
    const root = this.shadowRoot;
    const chosen = new Set([...root.querySelectorAll("[data-option]:checked")].map((el) => el.dataset.option));
    for (const option of this.item.options) {
      const box = root.getElementById(this.id(`opt-${option.key}`));
      const blocked = option.excludes.some((k) => chosen.has(k)) ||
        this.item.options.some((other) => other.excludes.includes(option.key) && chosen.has(other.key)) ||
        option.requires.some((k) => !chosen.has(k));
      if (blocked && box.checked) {
        box.checked = false;
        chosen.delete(option.key);
      }
      box.disabled = blocked;
    }
  }

  async calculate() {
    const body = this.calculation();
    if (!body) return;
    const mine = ++this.sequence;
    try {
      const breakdown = await call(`${bookingApi(this)}/public/quotes/calculate`, { method: "POST", body });
      if (mine === this.sequence) this.showBreakdown(breakdown);
    } catch (error) {
      if (mine !== this.sequence) return;
      this.showBreakdown(null);
      if (error instanceof ApiError && error.status === 422) this.showFieldErrors(error.fieldErrors);
      else this.shadowRoot.querySelector("[data-part=total]").textContent = plainError(error, this.t);
    }
  }

  showFieldErrors(errors) {
    const root = this.shadowRoot;
    for (const error of errors) {
      const field = String(error.field || "");
      let target = null;
      const input = field.match(/^lines\.0\.inputs\.(\w+)$/);
      if (input) target = this.id(`in-${input[1]}`);
      else if (field === "promo_code") target = this.id("promo");
      else if (field.startsWith("lines.0.options")) target = null;
      if (target && root.getElementById(target)) {
        root.getElementById(target).setAttribute("aria-invalid", "true");
        root.getElementById(`${target}-error`).textContent = error.message;
      } else if (root.getElementById(this.id("options-error"))) {
        root.getElementById(this.id("options-error")).textContent = error.message;
      } else {
        root.querySelector("[data-part=total]").textContent = error.message;
      }
    }
    const total = root.querySelector("[data-part=total]");
    if (total.textContent === this.t.calculating) total.textContent = this.t.fix;
  }

  showBreakdown(breakdown) {
    const root = this.shadowRoot;
    const table = root.querySelector("[data-part=breakdown]");
    const total = root.querySelector("[data-part=total]");
    this.breakdown = breakdown;
    if (!breakdown) {
      table.innerHTML = "";
      if (total.textContent === this.t.calculating) total.textContent = this.t.fix;
      return;
    }
    const t = this.t;
    const lang = langOf(this);
    const m = (amount) => escapeHtml(money(amount, breakdown.currency, lang));
    const rows = [];
    for (const line of breakdown.lines) {
      rows.push(`<tr><td>${escapeHtml(line.name)} <span class="hint">${escapeHtml(line.dimensions)} · ${escapeHtml(line.quantity)} ${escapeHtml(line.unit_label)} × ${m(line.unit_price)}</span></td><td class="num">${m(line.base)}</td></tr>`);
      for (const option of line.options) rows.push(`<tr><td>+ ${escapeHtml(option.name)}</td><td class="num">${m(option.amount)}</td></tr>`);
      if (line.tier_discount) rows.push(`<tr><td>− ${t.discount}</td><td class="num">−${m(line.tier_discount)}</td></tr>`);
    }
    for (const discount of breakdown.discounts) rows.push(`<tr><td>− ${escapeHtml(discount.name)}</td><td class="num">−${m(discount.amount)}</td></tr>`);
    if (breakdown.minimum_order_surcharge) rows.push(`<tr><td>${t.minimum}</td><td class="num">${m(breakdown.minimum_order_surcharge)}</td></tr>`);
    for (const fee of breakdown.fees) rows.push(`<tr><td>${escapeHtml(fee.name)}</td><td class="num">${m(fee.amount)}</td></tr>`);
    if (breakdown.vat_mode === "added") rows.push(`<tr><td>${t.vatAdded(breakdown.vat_percent)}</td><td class="num">${m(breakdown.vat)}</td></tr>`);
    if (breakdown.rounding) rows.push(`<tr><td>${t.rounding}</td><td class="num">${m(breakdown.rounding)}</td></tr>`);
    if (breakdown.vat_mode === "included") rows.push(`<tr><td>${t.vatIncluded(breakdown.vat_percent)}</td><td class="num">${m(breakdown.vat)}</td></tr>`);
    table.innerHTML = `<table><caption class="sr-only">${t.breakdown}</caption><thead><tr><th scope="col">${t.position}</th><th scope="col" class="num">${t.amount}</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
    total.textContent = t.totalLive(money(breakdown.total, breakdown.currency, lang));
    total.dataset.total = String(breakdown.total);
  }

  async submit() {
    const root = this.shadowRoot;
    const t = this.t;
    const alert = root.querySelector("[data-part=alert]");
    alert.textContent = "";
    alert.className = "";
    const calculation = this.calculation();
    const value = (name) => root.querySelector(`[data-field=${name}]`).value.trim();
    let firstInvalid = null;
    for (const name of ["name", "phone"]) {
      const element = root.getElementById(this.id(name));
      const missing = value(name) === "";
      element.setAttribute("aria-invalid", missing ? "true" : "false");
      root.getElementById(`${this.id(name)}-error`).textContent = missing ? t.required : "";
      if (missing && !firstInvalid) firstInvalid = element;
    }
    const consent = root.getElementById(this.id("consent"));
    root.getElementById(`${this.id("consent")}-error`).textContent = consent.checked ? "" : t.consentNeeded;
    consent.setAttribute("aria-invalid", consent.checked ? "false" : "true");
    if (!consent.checked && !firstInvalid) firstInvalid = consent;
    if (!calculation) firstInvalid = root.querySelector("[data-part=calculator] [aria-invalid=true]") || firstInvalid;
    if (firstInvalid) {
      alert.className = "alert";
      alert.textContent = t.fix;
      firstInvalid.focus();
      return;
    }
    const body = {
      ...calculation,
      name: value("name"),
      phone: value("phone"),
      email: value("email") || null,
      address: value("address") || null,
      comment: value("comment") || null,
      consent: true,
      website: root.querySelector("[data-field=website]").value,
    };
    const button = root.querySelector("[data-part=send]");
    button.disabled = true;
    button.textContent = t.sending;
    try {
      const receipt = await call(`${bookingApi(this)}/public/quotes`, {
        method: "POST",
        body,
        headers: { "Idempotency-Key": this.retryKey.for(body) },
      });
      this.retryKey.done();
      this.showReceipt(receipt);
    } catch (error) {
      button.disabled = false;
      button.textContent = t.send;
      alert.className = "alert";
      if (error instanceof ApiError && error.status === 422) {
        this.showFieldErrors(error.fieldErrors);
        for (const fieldError of error.fieldErrors) {
          const element = root.getElementById(this.id(String(fieldError.field)));
          if (element) {
            element.setAttribute("aria-invalid", "true");
            const text = root.getElementById(`${this.id(String(fieldError.field))}-error`);
            if (text) text.textContent = fieldError.message;
          }
        }
        alert.textContent = t.fix;
      } else {
        alert.textContent = plainError(error, t);
      }
    }
  }

  showReceipt(receipt) {
    const t = this.t;
    const lang = langOf(this);
    const until = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "uk-UA", { dateStyle: "long", timeZone: "Europe/Kyiv" })
      .format(new Date(receipt.valid_until));
    const form = this.shadowRoot.querySelector("[data-part=request]");
    form.innerHTML = `<div class="success" data-part="receipt" tabindex="-1" role="status">
        <p>${escapeHtml(t.sent(receipt.id.slice(-6), until))}</p>
        <p><strong>${escapeHtml(receipt.subject)}</strong> — ${escapeHtml(money(receipt.breakdown.total, receipt.breakdown.currency, lang))}</p>
      </div><button type="button" class="secondary" data-part="again">${t.again}</button>`;
    form.querySelector("[data-part=again]").addEventListener("click", () => this.render());
    form.querySelector("[data-part=receipt]").focus();
  }
}

if (!customElements.get("lanka-price-calculator")) customElements.define("lanka-price-calculator", LankaPriceCalculator);
