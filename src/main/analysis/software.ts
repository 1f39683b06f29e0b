// Names of programs found in metadata, classified once for every analysis that reads them
// (ingest warnings, metadata consistency, the quantisation-table fingerprint, generator traces).

/** Software names that mean an editor saved the file after capture. */
export const EDITOR_PATTERN =
  /photoshop|gimp|lightroom|snapseed|affinity|pixelmator|canva|adobe|paint\.net|paintshop|paint shop pro|corel|acdsee|acd systems|capture one|darktable|rawtherapee|luminar|photopea|picsart|facetune|fotor|meitu|polarr|vsco|photoscape|krita|fixfoto|irfanview|picasa|aperture|graphicconverter|photomatix|photo gallery|windows photo editor|fireworks|idimager|stereophoto maker|digital photo professional|capture nx|photo laboratory|finepixviewer|zoombrowser|image data suite/i;

/** Software names that mean the picture was generated, not photographed. */
export const GENERATOR_PATTERN =
  /midjourney|dall[-·\s]?e|stable diffusion|stablediffusion|sdxl|firefly|novelai|comfyui|automatic1111|invokeai|fooocus|\bimagen\b|ideogram|leonardo\.ai|flux\.?1|gpt-image|openai|bing image creator|dreamstudio|nightcafe|craiyon/i;

export type SoftwareKind = 'generator' | 'editor' | 'other';

export function classifySoftware(name: string): SoftwareKind {
  if (GENERATOR_PATTERN.test(name)) return 'generator';
  if (EDITOR_PATTERN.test(name)) return 'editor';
  return 'other';
}

/** Camera makers as EXIF Make spells them, normalised to one word for comparisons. */
const MAKER_ALIASES: [RegExp, string][] = [
  [/canon/i, 'canon'],
  [/nikon/i, 'nikon'],
  [/pentax|ricoh imaging/i, 'pentax'],
  [/sony/i, 'sony'],
  [/panasonic|lumix/i, 'panasonic'],
  [/olympus|om digital/i, 'olympus'],
  [/fuji/i, 'fujifilm'],
  [/kodak|jk imaging/i, 'kodak'],
  [/samsung/i, 'samsung'],
  [/apple|iphone/i, 'apple'],
  [/konica|minolta/i, 'konica-minolta'],
  [/casio/i, 'casio'],
  [/ricoh/i, 'ricoh'],
  [/leica/i, 'leica'],
  [/sigma/i, 'sigma'],
  [/htc/i, 'htc'],
  [/huawei/i, 'huawei'],
  [/xiaomi/i, 'xiaomi'],
  [/google|pixel/i, 'google'],
  [/motorola/i, 'motorola'],
  [/nokia|hmd/i, 'nokia'],
  [/lg electronics|^lg/i, 'lg'],
  [/oneplus/i, 'oneplus'],
  [/oppo/i, 'oppo'],
  [/epson/i, 'epson'],
  [/sanyo/i, 'sanyo'],
  [/dji/i, 'dji'],
  [/gopro/i, 'gopro'],
];

/** The maker a text names ("NIKON CORPORATION", "Nikon D50, Fine" → "nikon"), or undefined. */
export function cameraMaker(text: string | undefined): string | undefined {
  if (!text) return undefined;
  for (const [pattern, maker] of MAKER_ALIASES) if (pattern.test(text)) return maker;
  return undefined;
}
