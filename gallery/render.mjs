// Draws every card `python -m gallery.build` wrote, as Teams' light theme shows it, to PNG; writes index.html.
//
//   node gallery/render.mjs build/gallery
//
// The Adaptive Cards JavaScript renderer (npm adaptivecards) with the Microsoft Teams light host config, in
// Debian's headless Chromium driven by playwright-core (no browser download). Markdown as Teams renders it, via
// markdown-it. Each card is drawn at the width of a Teams message column and screenshotted on its own.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? "build/gallery";
const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const width = Number(process.env.CARD_WIDTH ?? 560);

if (!existsSync(browserPath)) {
  console.error(`no Chromium at ${browserPath}: install Debian's chromium (make cards does) or set CHROMIUM`);
  process.exit(2);
}
const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8"));
const hostConfig = JSON.parse(readFileSync(join(here, "hostconfigs", "microsoft-teams-light.json"), "utf8"));
mkdirSync(join(out, "png"), { recursive: true });

const browser = await chromium.launch({
  executablePath: browserPath,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const page = await browser.newPage({ viewport: { width: width + 40, height: 800 }, deviceScaleFactor: 1 });
await page.setContent(`<!doctype html><html><head><meta charset="utf-8"><style>
  body { margin: 0; padding: 20px; background: #f5f5f5; font-family: "Segoe UI", "DejaVu Sans", sans-serif; }
  #frame { width: ${width}px; background: #ffffff; border-radius: 4px; box-shadow: 0 1px 2px rgba(0,0,0,.15); }
  .ac-pushButton { font: 600 14px "Segoe UI", "DejaVu Sans", sans-serif; padding: 5px 12px; border-radius: 4px;
    border: 1px solid #d1d1d1; background: #ffffff; color: #242424; min-height: 32px; }
  .ac-pushButton.style-positive { background: #5b5fc7; border-color: #5b5fc7; color: #ffffff; }
  .ac-pushButton.style-destructive { background: #c4314b; border-color: #c4314b; color: #ffffff; }
  .ac-pushButton.expanded { background: #e8ebfa; }
  input, select, textarea { font: 14px "Segoe UI", "DejaVu Sans", sans-serif; }
</style></head><body><div id="frame"></div></body></html>`);
await page.addScriptTag({ path: join(here, "node_modules", "markdown-it", "dist", "markdown-it.min.js") });
await page.addScriptTag({ path: join(here, "node_modules", "adaptivecards", "dist", "adaptivecards.min.js") });

const problems = [];
for (const entry of index) {
  const card = JSON.parse(readFileSync(join(out, "cards", `${entry.stem}.json`), "utf8"));
  const warnings = await page.evaluate(
    ({ card, hostConfig }) => {
      const AC = window.AdaptiveCards;
      const md = window.markdownit();
      AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
        result.outputHtml = md.render(text);
        result.didProcess = true;
      };
      const adaptive = new AC.AdaptiveCard();
      adaptive.hostConfig = new AC.HostConfig(hostConfig);
      const context = new AC.SerializationContext();
      adaptive.parse(card, context);
      const frame = document.getElementById("frame");
      frame.innerHTML = "";
      const rendered = adaptive.render();
      if (rendered) frame.appendChild(rendered);
      const found = [];
      for (let i = 0; i < context.eventCount; i++) found.push(context.getEventAt(i).message);
      return found;
    },
    { card, hostConfig },
  );
  if (warnings.length) problems.push(`${entry.name} (${entry.variant}): ${warnings.join("; ")}`);
  await page.locator("#frame").screenshot({ path: join(out, "png", `${entry.stem}.png`) });
}
await browser.close();

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const rows = index
  .map(
    (e) => `<figure id="${esc(e.stem)}"><figcaption><b>${esc(e.name)}</b> · ${esc(e.variant)}</figcaption>
<a href="png/${esc(e.stem)}.png"><img src="png/${esc(e.stem)}.png" alt="${esc(e.name)}, ${esc(e.variant)}" loading="lazy"></a></figure>`,
  )
  .join("\n");
const renderers = [...new Set(index.map((e) => e.renderer))];
writeFileSync(
  join(out, "index.html"),
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stepbot card gallery</title><style>
  body { font-family: "Segoe UI", sans-serif; margin: 24px; background: #fafafa; }
  main { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
  figure { margin: 0; width: ${width + 40}px; } img { width: 100%; border: 1px solid #ddd; }
  figcaption { margin-bottom: 6px; }
</style></head><body><h1>Stepbot card gallery</h1>
<p>${index.length} cards from ${renderers.length} renderers, drawn with Teams' light host config. Typical data first,
then the worst case each renderer is given in practice.</p>
${problems.length ? `<h2>Renderer warnings</h2><ul>${problems.map((p) => `<li>${esc(p)}</li>`).join("")}</ul>` : ""}
<main>${rows}</main></body></html>`,
);
console.log(`${index.length} cards drawn to ${join(out, "png")}; open ${join(out, "index.html")}`);
if (problems.length) console.log(`renderer warnings:\n  ${problems.join("\n  ")}`);
