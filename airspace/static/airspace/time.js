// The pages' one time display for scripts, the same as the templates' |when filter: the display time
// zone (from <meta name="display-time-zone">, Baghdad by default) with UTC beside it.
(function () {
  "use strict";
  function zone() {
    const meta = document.querySelector('meta[name="display-time-zone"]');
    return (meta && meta.content) || "UTC";
  }
  function zoneLabel() {
    return zone().split("/").pop().replace(/_/g, " ");
  }
  function parts(date, timeZone, withSeconds) {
    const options = { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    if (withSeconds) options.second = "2-digit";
    return new Intl.DateTimeFormat("en-GB", options).format(date);
  }
  function day(date, timeZone) {
    return new Intl.DateTimeFormat("en-GB", { timeZone, day: "numeric", month: "short", year: "numeric" }).format(date);
  }
  // "30 Nov 2026 14:05 Baghdad (11:05 UTC)"; style "time" leaves out the date, "seconds" adds them.
  function format(iso, style) {
    if (!iso) return "";
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso);
    const seconds = style === "seconds" || style === "time";
    const local = parts(date, zone(), seconds);
    const utc = parts(date, "UTC", seconds);
    const shown = style === "time" ? local : `${day(date, zone())} ${local}`;
    return `${shown} ${zoneLabel()} (${utc} UTC)`;
  }
  // A <time> element with the exact instant in datetime, as the templates write it.
  function element(iso, style) {
    const node = document.createElement("time");
    node.dateTime = iso || "";
    node.textContent = format(iso, style);
    return node;
  }
  window.AirspaceTime = { format, element, zone, zoneLabel };
})();
