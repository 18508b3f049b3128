/**
 * A QR code as inline SVG (no script, no image request, nothing the page's CSP must allow): the
 * modules come from `qrcode-generator`, drawn as one path in the text colour on a white quiet zone
 * so phones read it in dark mode too.
 */
import qrcode from 'qrcode-generator';
import { html, type Markup } from './markup.js';

const QUIET_ZONE_MODULES = 4;

export function qrCodeSvg(text: string, label: string): Markup {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const count = qr.getModuleCount();
  const size = count + 2 * QUIET_ZONE_MODULES;
  let path = '';
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) {
      if (qr.isDark(row, col)) path += `M${col + QUIET_ZONE_MODULES} ${row + QUIET_ZONE_MODULES}h1v1h-1z`;
    }
  }
  return html`<svg class="qr" viewBox="0 0 ${size} ${size}" role="img" aria-label="${label}" shape-rendering="crispEdges"><rect width="${size}" height="${size}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`;
}
