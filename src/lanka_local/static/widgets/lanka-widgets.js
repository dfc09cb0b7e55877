// Both Lanka widgets with one script tag: <lanka-booking> and <lanka-price-calculator>.
import "./lanka-booking.js";
import "./lanka-price-calculator.js";
