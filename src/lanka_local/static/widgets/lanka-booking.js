// <lanka-booking>: a visitor books a visit (services, specialist, day, time, contacts).
import { ApiError, BASE_CSS, RetryKey, bookingApi, call, escapeHtml, langOf, money, plainError } from "./lanka-common.js";

const TEXTS = {
  uk: {
    title: "Онлайн-запис",
    services: "Послуги",
    staff: "Спеціаліст",
    anyone: "Будь-хто вільний",
    day: "З якого дня шукати",
    slots: "Вільний час",
    noSlots: "На ці дні вільного часу немає. Оберіть інші дні.",
    pickService: "Оберіть хоча б одну послугу.",
    pickSlot: "Оберіть час.",
    minutes: (n) => `${n} хв`,
    free: "безкоштовно",
    loading: "Завантаження…",
    contacts: "Ваші контакти",
    name: "Ім'я",
    phone: "Телефон",
    email: "E-mail (необов'язково)",
    address: "Адреса візиту",
    comment: "Коментар (необов'язково)",
    consent: "Я погоджуюся на обробку моїх даних для запису.",
    book: "Записатися",
    booking: "Записуємо…",
    taken: "Цей час щойно зайняли, оберіть інший.",
    done: "Ви записані!",
    when: "Коли",
    with: "Спеціаліст",
    manage: "Перенести або скасувати запис",
    again: "Записатися ще",
    fix: "Виправте позначені поля.",
    required: "Заповніть це поле.",
    consentNeeded: "Потрібна ваша згода.",
    offline: "Немає з'єднання. Перевірте інтернет і спробуйте ще раз — введене збережено.",
    tooMany: "Забагато запитів. Зачекайте хвилину й спробуйте ще раз.",
    serverDown: "Сервер тимчасово недоступний. Спробуйте ще раз за хвилину.",
    trap: "Не заповнюйте це поле",
    total: (duration, price) => `Тривалість: ${duration}${price ? `, вартість: ${price}` : ""}`,
  },
  en: {
    title: "Book online",
    services: "Services",
    staff: "Specialist",
    anyone: "Anyone available",
    day: "Search from",
    slots: "Available times",
    noSlots: "No free time on these days. Choose other days.",
    pickService: "Choose at least one service.",
    pickSlot: "Choose a time.",
    minutes: (n) => `${n} min`,
    free: "free",
    loading: "Loading…",
    contacts: "Your contacts",
    name: "Name",
    phone: "Phone",
    email: "E-mail (optional)",
    address: "Visit address",
    comment: "Comment (optional)",
    consent: "I agree to the processing of my data for the booking.",
    book: "Book",
    booking: "Booking…",
    taken: "Someone has just taken this time; please choose another.",
    done: "You are booked!",
    when: "When",
    with: "Specialist",
    manage: "Reschedule or cancel",
    again: "Book another",
    fix: "Please correct the marked fields.",
    required: "Please fill this in.",
    consentNeeded: "Your consent is required.",
    offline: "No connection. Check the internet and try again — what you typed is kept.",
    tooMany: "Too many requests. Wait a minute and try again.",
    serverDown: "The server is unavailable for now. Try again in a minute.",
    trap: "Do not fill this in",
    total: (duration, price) => `Duration: ${duration}${price ? `, price: ${price}` : ""}`,
  },
};

let instances = 0;

function kyivToday() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Kyiv" }).format(new Date());
}

class LankaBooking extends HTMLElement {
  static get observedAttributes() {
    return ["lang", "service"];
  }

  constructor() {
    super();
    this.uid = `lbk${++instances}`;
    this.attachShadow({ mode: "open" });
    this.retryKey = new RetryKey();
    this.services = [];
    this.chosen = new Set();
    this.sequence = 0;
  }

  get t() {
    return TEXTS[langOf(this)];
  }

  id(name) {
    return `${this.uid}-${name}`;
  }

  connectedCallback() {
    this.load();
  }

  attributeChangedCallback(name, before, after) {
    if (before !== after && this.isConnected && this.loads) this.load();
  }

  async load() {
    const mine = (this.loads = (this.loads || 0) + 1);
    const lang = langOf(this);
    this.shadowRoot.innerHTML = `<style>${BASE_CSS}</style><div class="root" lang="${lang}"><p role="status">${this.t.loading}</p></div>`;
    try {
      const services = (await call(`${bookingApi(this)}/public/services?lang=${lang}`)).items;
      if (mine !== this.loads) return; // the language changed meanwhile
      this.services = services;
    } catch (error) {
      if (mine !== this.loads) return;
      this.shadowRoot.querySelector(".root").innerHTML = `<p class="alert" role="alert">${escapeHtml(plainError(error, this.t))}</p>`;
      return;
    }
    const wanted = (this.getAttribute("service") || "").split(",").filter(Boolean);
    this.chosen = new Set(this.services.filter((s) => wanted.includes(s.key)).map((s) => s.key));
    this.render();
  }

  render() {
    const t = this.t;
    const lang = langOf(this);
    const root = this.shadowRoot.querySelector(".root");
    const services = this.services.map((service) => {
      const id = this.id(`svc-${service.key}`);
      const price = service.price ? (service.price.amount ? money(service.price.amount, service.price.currency, lang) : t.free) : "";
      const details = [t.minutes(service.duration_minutes), price].filter(Boolean).join(", ");
      return `<label class="choice" for="${id}"><input type="checkbox" id="${id}" data-service="${escapeHtml(service.key)}"${this.chosen.has(service.key) ? " checked" : ""}>
        <span>${escapeHtml(service.name)} <span class="hint">(${escapeHtml(details)})</span>${service.description ? `<br><span class="hint">${escapeHtml(service.description)}</span>` : ""}</span></label>`;
    }).join("");
    root.innerHTML = `
      <h2 id="${this.id("title")}">${t.title}</h2>
      <form novalidate aria-labelledby="${this.id("title")}">
        <fieldset><legend>${t.services}</legend>${services}<p class="error" id="${this.id("services-error")}"></p></fieldset>
        <div data-part="staff-box"></div>
        <label for="${this.id("day")}">${t.day}</label>
        <input type="date" id="${this.id("day")}" data-part="day" min="${kyivToday()}" value="${this.day || kyivToday()}">
        <fieldset data-part="slots-box" aria-describedby="${this.id("slots-error")}"><legend>${t.slots}</legend>
          <p class="hint" data-part="summary"></p>
          <div data-part="slots" role="status" aria-live="polite"></div>
          <p class="error" id="${this.id("slots-error")}"></p>
        </fieldset>
        <fieldset><legend>${t.contacts}</legend>
          ${this.field("name", t.name, "text", "name", true)}
          ${this.field("phone", t.phone, "tel", "tel", true)}
          ${this.field("email", t.email, "email", "email", false)}
          <div data-part="address-box">${this.field("address", t.address, "text", "street-address", true)}</div>
          <label for="${this.id("comment")}">${t.comment}</label>
          <textarea id="${this.id("comment")}" data-field="comment" maxlength="4000"></textarea>
          <div class="trap" aria-hidden="true"><label for="${this.id("website")}">${t.trap}</label>
            <input type="text" id="${this.id("website")}" data-field="website" tabindex="-1" autocomplete="off"></div>
          <label class="choice" for="${this.id("consent")}"><input type="checkbox" id="${this.id("consent")}" data-field="consent" aria-describedby="${this.id("consent-error")}"><span>${t.consent}</span></label>
          <p class="error" id="${this.id("consent-error")}"></p>
        </fieldset>
        <p data-part="alert" role="alert" tabindex="-1"></p>
        <button type="submit" data-part="book">${t.book}</button>
      </form>`;
    const form = root.querySelector("form");
    form.addEventListener("change", (event) => {
      const target = event.target;
      if (target.dataset.service !== undefined) {
        if (target.checked) this.chosen.add(target.dataset.service);
        else this.chosen.delete(target.dataset.service);
        this.loadStaff();
      } else if (target.dataset.part === "staff" || target.dataset.part === "day") {
        this.day = root.querySelector("[data-part=day]").value;
        this.loadSlots();
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.book();
    });
    this.loadStaff();
  }

  field(name, label, type, autocomplete, required) {
    const id = this.id(name);
    return `<label for="${id}">${label}</label>
      <input type="${type}" id="${id}" data-field="${name}" autocomplete="${autocomplete}" maxlength="300"${required ? " aria-required=\"true\"" : ""}
        aria-describedby="${id}-error"><p class="error" id="${id}-error"></p>`;
  }

  selectedServices() {
    // In the order the company lists them.
    return this.services.filter((service) => this.chosen.has(service.key));
  }

  async loadStaff() {
    const root = this.shadowRoot;
    const box = root.querySelector("[data-part=staff-box]");
    const chosen = this.selectedServices();
    root.querySelector("[data-part=address-box]").hidden = !chosen.some((s) => s.at_client_address);
    box.innerHTML = "";
    if (chosen.length && chosen.every((s) => s.allows_staff_choice)) {
      try {
        const keys = chosen.map((s) => s.key).join(",");
        const staff = (await call(`${bookingApi(this)}/public/staff?services=${encodeURIComponent(keys)}`)).items;
        const options = staff.map((person) => `<option value="${escapeHtml(person.id)}">${escapeHtml(person.name)}</option>`).join("");
        box.innerHTML = `<label for="${this.id("staff")}">${this.t.staff}</label>
          <select id="${this.id("staff")}" data-part="staff"><option value="">${this.t.anyone}</option>${options}</select>`;
      } catch (error) {
        box.innerHTML = "";
      }
    }
    this.loadSlots();
  }

  async loadSlots(keep = null) {
    const root = this.shadowRoot;
    const t = this.t;
    const lang = langOf(this);
    const slots = root.querySelector("[data-part=slots]");
    const summary = root.querySelector("[data-part=summary]");
    const chosen = this.selectedServices();
    const mine = ++this.sequence;
    if (!chosen.length) {
      slots.innerHTML = `<p class="hint">${t.pickService}</p>`;
      summary.textContent = "";
      return;
    }
    slots.innerHTML = `<p class="hint">${t.loading}</p>`;
    const staff = root.querySelector("[data-part=staff]");
    const params = new URLSearchParams({
      services: chosen.map((s) => s.key).join(","),
      from: root.querySelector("[data-part=day]").value || kyivToday(),
      days: "7",
      lang,
    });
    if (staff && staff.value) params.set("staff_id", staff.value);
    let answer;
    try {
      answer = await call(`${bookingApi(this)}/public/slots?${params}`);
    } catch (error) {
      if (mine === this.sequence) slots.innerHTML = `<p class="alert">${escapeHtml(plainError(error, t))}</p>`;
      return;
    }
    if (mine !== this.sequence) return;
    const price = answer.price ? money(answer.price.amount, answer.price.currency, lang) : "";
    summary.textContent = t.total(t.minutes(answer.duration_minutes), price);
    this.zone = answer.time_zone || "Europe/Kyiv";
    const time = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "uk-UA", { hour: "2-digit", minute: "2-digit", timeZone: this.zone });
    const date = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "uk-UA", { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" });
    const days = answer.days.filter((day) => day.slots.length);
    if (!days.length) {
      slots.innerHTML = `<p>${t.noSlots}</p>`;
      return;
    }
    slots.innerHTML = days.map((day) => {
      const label = date.format(new Date(`${day.date}T12:00:00Z`));
      const choices = day.slots.map((slot, i) => {
        const id = this.id(`slot-${day.date}-${i}`);
        return `<label class="slot" for="${id}"><input type="radio" name="${this.id("slot")}" id="${id}" value="${escapeHtml(slot.start)}"${keep === slot.start ? " checked" : ""}>
          <span>${escapeHtml(time.format(new Date(slot.start)))}</span></label>`;
      }).join("");
      return `<div role="group" aria-label="${escapeHtml(label)}"><h3>${escapeHtml(label)}</h3><div class="grid">${choices}</div></div>`;
    }).join("");
  }

  async book() {
    const root = this.shadowRoot;
    const t = this.t;
    const alert = root.querySelector("[data-part=alert]");
    alert.textContent = "";
    alert.className = "";
    const value = (name) => root.querySelector(`[data-field=${name}]`).value.trim();
    const chosen = this.selectedServices();
    const slot = root.querySelector(`input[name=${this.id("slot")}]:checked`);
    const needsAddress = chosen.some((s) => s.at_client_address);
    const problems = [];
    const mark = (name, message) => {
      const element = root.getElementById(this.id(name));
      const error = root.getElementById(`${this.id(name)}-error`);
      if (element && element.tagName !== "FIELDSET") element.setAttribute("aria-invalid", message ? "true" : "false");
      if (error) error.textContent = message || "";
      if (message) problems.push(element);
    };
    mark("services", chosen.length ? "" : t.pickService);
    mark("slots", slot || !chosen.length ? "" : t.pickSlot);
    mark("name", value("name") ? "" : t.required);
    mark("phone", value("phone") ? "" : t.required);
    mark("address", !needsAddress || value("address") ? "" : t.required);
    const consent = root.getElementById(this.id("consent"));
    mark("consent", consent.checked ? "" : t.consentNeeded);
    if (problems.length) {
      alert.className = "alert";
      alert.textContent = t.fix;
      const first = problems.find((el) => el && el.focus && el.tagName !== "P") ||
        (chosen.length ? root.querySelector("[data-part=slots] input") : root.querySelector("[data-service]"));
      if (first) first.focus();
      return;
    }
    const staff = root.querySelector("[data-part=staff]");
    const body = {
      services: chosen.map((s) => s.key),
      start: slot.value,
      staff_id: staff && staff.value ? staff.value : null,
      name: value("name"),
      phone: value("phone"),
      email: value("email") || null,
      address: needsAddress ? value("address") : null,
      comment: value("comment") || null,
      consent: true,
      website: root.querySelector("[data-field=website]").value,
    };
    const button = root.querySelector("[data-part=book]");
    button.disabled = true;
    button.textContent = t.booking;
    try {
      const booking = await call(`${bookingApi(this)}/public/bookings`, {
        method: "POST",
        body,
        headers: { "Idempotency-Key": this.retryKey.for(body) },
      });
      this.retryKey.done();
      this.showConfirmation(booking);
    } catch (error) {
      button.disabled = false;
      button.textContent = t.book;
      alert.className = "alert";
      if (error instanceof ApiError && error.status === 409) {
        alert.textContent = t.taken;
        await this.loadSlots();
      } else if (error instanceof ApiError && error.status === 422) {
        for (const fieldError of error.fieldErrors) {
          const name = String(fieldError.field || "").split(".")[0];
          mark(name === "start" ? "slots" : name, fieldError.message);
        }
        alert.textContent = error.fieldErrors.length ? t.fix : plainError(error, t);
      } else {
        alert.textContent = plainError(error, t);
      }
      alert.focus();
    }
  }

  showConfirmation(booking) {
    const t = this.t;
    const lang = langOf(this);
    const when = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "uk-UA", {
      dateStyle: "full",
      timeStyle: "short",
      timeZone: this.zone || "Europe/Kyiv",
    }).format(new Date(booking.starts_at));
    const names = (booking.services || []).map((key) => (this.services.find((s) => s.key === key) || { name: key }).name);
    const root = this.shadowRoot.querySelector(".root");
    root.innerHTML = `<div class="success" data-part="confirmation" tabindex="-1" role="status">
        <h2>${t.done}</h2>
        <p>${escapeHtml(names.join(", "))}</p>
        <p><strong>${t.when}:</strong> ${escapeHtml(when)}</p>
        ${booking.staff_name ? `<p><strong>${t.with}:</strong> ${escapeHtml(booking.staff_name)}</p>` : ""}
        ${booking.manage_url ? `<p><a href="${escapeHtml(booking.manage_url)}" data-part="manage">${t.manage}</a></p>` : ""}
      </div><button type="button" class="secondary" data-part="again">${t.again}</button>`;
    root.querySelector("[data-part=again]").addEventListener("click", () => this.render());
    root.querySelector("[data-part=confirmation]").focus();
  }
}

if (!customElements.get("lanka-booking")) customElements.define("lanka-booking", LankaBooking);
