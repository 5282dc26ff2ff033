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
