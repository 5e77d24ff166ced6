/** Layers named by a bare index ("0", "2": nn.Sequential) read better in a figure or a title as "layer 0". */
export function layerLabel(name: string): string {
  return /^\d+$/.test(name) ? `layer ${name}` : name;
}
