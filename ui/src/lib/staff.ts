// Staff as the chart names them: records keep the login (who signed is part of the record), and
// the core sends the display names of exactly the staff the served records name.

/** Login → display name, for the staff a chart's records name (`Chart.staff_names`). */
export type StaffNames = Record<string, string>;

/** The display name of `login` ("守 太郎"), or the login itself when the chart has none for it. */
export function staffName(staff: StaffNames, login: string | null | undefined): string {
  if (!login) return '';
  return Object.prototype.hasOwnProperty.call(staff, login) ? (staff[login] ?? login) : login;
}
