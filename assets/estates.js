// Estates league table (dashboard/figures/estates.py): a null figure shows as "—" and sorts
// last whichever way its column is sorted. dash-ag-grid takes comparators by name only.
window.dashAgGridFunctions = window.dashAgGridFunctions || {};
window.dashAgGridFunctions.estatesNullsLast = function (valueA, valueB, nodeA, nodeB, isDescending) {
  const missingA = valueA === null || valueA === undefined;
  const missingB = valueB === null || valueB === undefined;
  if (missingA || missingB) {
    if (missingA && missingB) { return 0; }
    // AG Grid negates the result for a descending sort, so a null must flip its sign too.
    return (missingA ? 1 : -1) * (isDescending ? -1 : 1);
  }
  return valueA - valueB;
};

// A league figure as dashboard/i18n.py's `number` writes it for zh and en (Babel's rule): the
// shortest decimal that reads back as the value, rounded half to even to `digits` places, with
// "," between thousands, set into `template` ("{value}%", "{value} min"). The server sends the
// numbers alone (half the bytes, and no 30,000 figures formatted per league); Python checks
// this function against its own formatting (tests/browser/test_estates.py).
window.dashAgGridFunctions.estatesNumber = function (value, digits) {
  if (Number.isNaN(value)) { return 'NaN'; }
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  if (!Number.isFinite(value)) { return sign + '∞'; }
  // toExponential() without an argument gives the shortest digits, as Python's repr does.
  const [mantissa, exponent] = Math.abs(value).toExponential().split('e');
  let figures = mantissa.replace('.', '').split('').map(Number);
  let whole = Number(exponent) + 1;  // figures before the decimal point (may be <= 0)
  const kept = whole + digits;
  if (kept < 0) {
    figures = [0];
    whole = 1;
  } else if (kept < figures.length) {
    const next = figures[kept];
    const beyond = figures.slice(kept + 1).some(f => f > 0);
    const last = kept > 0 ? figures[kept - 1] : 0;
    const up = next > 5 || (next === 5 && (beyond || last % 2 === 1));
    figures = figures.slice(0, kept);
    if (up) {
      let i = kept - 1;
      while (i >= 0 && figures[i] === 9) { figures[i] = 0; i -= 1; }
      if (i >= 0) { figures[i] += 1; } else { figures.unshift(1); whole += 1; }
    }
  }
  // Pad to the decimal point on the left and to `digits` places on the right.
  while (whole <= 0) { figures.unshift(0); whole += 1; }
  while (figures.length < whole + digits) { figures.push(0); }
  const integer = figures.slice(0, whole).join('').replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = figures.slice(whole, whole + digits).join('');
  return sign + integer + (digits > 0 ? '.' + fraction : '');
};

// A league cell: "—" for a null figure, "…" for a median still being worked out (the row's last
// element is 1 until the medians arrive), else the figure in its column's digits and unit.
window.dashAgGridFunctions.estatesFigure = function (params, digits, template, awaited) {
  const row = params.data;
  if (row == null) { return ''; }
  const value = params.value;
  if (value === null || value === undefined) {
    return awaited && row[row.length - 1] === 1 ? '…' : '—';
  }
  return template.replace('{value}', window.dashAgGridFunctions.estatesNumber(value, digits));
};
