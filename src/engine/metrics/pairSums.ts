import type { FlatAndMean } from '../../shared/compareReport';

/**
 * How alike two tensors u and v of samples × values are, from each sample's ⟨u, v⟩, ‖u‖², ‖v‖²
 * and ‖u − v‖² (float32, one batch at a time), summed in double:
 * - dissimilarity 1 − cos(u, v), of the flattened tensors (`flat`) and the mean of each sample's
 *   (`mean`); computed as (‖u − v‖² − (‖u‖ − ‖v‖)²) / (2‖u‖‖v‖), which is the same number but
 *   keeps its digits when u and v nearly agree;
 * - coefficient ⟨u, v⟩ / ‖v‖², flat and mean;
 * - distance ‖u − v‖ / ‖u‖, flat.
 * A cosine with a zero vector is undefined, so a sample whose u or v is all zero is left out of
 * the dissimilarity mean (and counted in `leftOut`), one whose v is all zero out of the
 * coefficient mean too, as LLFC's `CosineMeans` does; with nothing left, the value is NaN.
 */
export class PairSums {
  private dot = 0;
  private uu = 0;
  private vv = 0;
  private dd = 0;
  private dissimilaritySum = 0;
  private dissimilarityCount = 0;
  private coefficientSum = 0;
  private coefficientCount = 0;
  private samples = 0;

  add(dot: Float32Array, uu: Float32Array, vv: Float32Array, dd: Float32Array): void {
    for (let i = 0; i < dot.length; i++) {
      const [d, u, v, e] = [dot[i]!, uu[i]!, vv[i]!, dd[i]!];
      this.dot += d;
      this.uu += u;
      this.vv += v;
      this.dd += e;
      this.samples++;
      if (v === 0) continue;
      this.coefficientSum += d / v;
      this.coefficientCount++;
      if (u === 0) continue;
      this.dissimilaritySum += dissimilarity(u, v, e);
      this.dissimilarityCount++;
    }
  }

  get dissimilarity(): FlatAndMean {
    return {
      flat: this.uu === 0 || this.vv === 0 ? NaN : dissimilarity(this.uu, this.vv, this.dd),
      mean: this.dissimilarityCount === 0 ? NaN : this.dissimilaritySum / this.dissimilarityCount,
    };
  }

  get coefficient(): FlatAndMean {
    return {
      flat: this.vv === 0 ? NaN : this.dot / this.vv,
      mean: this.coefficientCount === 0 ? NaN : this.coefficientSum / this.coefficientCount,
    };
  }

  get distance(): number {
    return this.uu === 0 ? NaN : Math.sqrt(this.dd / this.uu);
  }

  /** Samples left out of the dissimilarity mean. */
  get leftOut(): number {
    return this.samples - this.dissimilarityCount;
  }
}

/** 1 − cos from ‖u‖², ‖v‖², ‖u − v‖²; never below 0, as ‖u − v‖ ≥ |‖u‖ − ‖v‖| (rounding aside). */
function dissimilarity(uu: number, vv: number, dd: number): number {
  const [nu, nv] = [Math.sqrt(uu), Math.sqrt(vv)];
  return Math.max(0, (dd - (nu - nv) ** 2) / (2 * nu * nv));
}
