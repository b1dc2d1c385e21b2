/**
 * Streaming ordinary least squares of y on x (x in hours, y in bytes): slope in bytes/hour and
 * the coefficient of determination R². Sums are kept relative to the first point so the
 * squares of byte counts (~1e10) do not swamp the double mantissa.
 */
export class LinearFit {
  private n = 0;
  private x0 = 0;
  private y0 = 0;
  private sx = 0;
  private sy = 0;
  private sxx = 0;
  private sxy = 0;
  private syy = 0;
  private minX = Number.POSITIVE_INFINITY;
  private maxX = Number.NEGATIVE_INFINITY;

  add(x: number, y: number): void {
    if (this.n === 0) {
      this.x0 = x;
      this.y0 = y;
    }
    const dx = x - this.x0;
    const dy = y - this.y0;
    this.n++;
    this.sx += dx;
    this.sy += dy;
    this.sxx += dx * dx;
    this.sxy += dx * dy;
    this.syy += dy * dy;
    if (x < this.minX) this.minX = x;
    if (x > this.maxX) this.maxX = x;
  }

  get count(): number {
    return this.n;
  }
  /** Hours between the first and last x. */
  get span(): number {
    return this.n === 0 ? 0 : this.maxX - this.minX;
  }

  /** slope = (n·Σxy − Σx·Σy) / (n·Σxx − (Σx)²); null with fewer than 2 distinct x. */
  slope(): number | null {
    const den = this.n * this.sxx - this.sx * this.sx;
    if (this.n < 2 || den <= 0) return null;
    return (this.n * this.sxy - this.sx * this.sy) / den;
  }

  /** R² = cov² / (var_x · var_y); 1 when y is constant and the fit is exact (flat), null when undefined. */
  r2(): number | null {
    const den = this.n * this.sxx - this.sx * this.sx;
    if (this.n < 2 || den <= 0) return null;
    const vy = this.n * this.syy - this.sy * this.sy;
    if (vy <= 0) return 1;
    const cov = this.n * this.sxy - this.sx * this.sy;
    return (cov * cov) / (den * vy);
  }
}
