//! Image encoding of rendered maps and legends: PNG (32-bit, RGB when opaque), 8-bit palette
//! PNG (exact up to 256 colours, else NeuQuant) and JPEG (transparent areas over white).

/// An output image format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    /// 32-bit RGBA PNG (RGB when opaque).
    Png,
    /// 8-bit palette PNG (with a transparency table).
    Png8,
    /// JPEG (opaque; transparent areas get the background colour).
    Jpeg,
}

impl ImageFormat {
    /// The format named by a WMS `FORMAT` value, if offered.
    pub fn parse(s: &str) -> Option<ImageFormat> {
        match s.trim().to_ascii_lowercase().replace(' ', "").as_str() {
            "image/png" | "png" | "image/png;mode=32bit" | "image/png;mode=24bit" => Some(ImageFormat::Png),
            "image/png8" | "image/png;mode=8bit" | "png8" => Some(ImageFormat::Png8),
            "image/jpeg" | "image/jpg" | "jpeg" | "jpg" => Some(ImageFormat::Jpeg),
            _ => None,
        }
    }

    /// The media type of the encoded image.
    pub fn media_type(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Png8 => "image/png; mode=8bit",
            ImageFormat::Jpeg => "image/jpeg",
        }
    }
}

/// Encodes a premultiplied RGBA pixel buffer (tiny-skia's) of `w`×`h` pixels in `format`.
pub fn encode(premultiplied: &[u8], w: u32, h: u32, format: ImageFormat) -> Result<Vec<u8>, String> {
    let rgba = demultiply(premultiplied);
    let err = |e: &dyn std::fmt::Display| e.to_string();
    match format {
        ImageFormat::Jpeg => {
            let rgb = rgb_over_white(&rgba);
            let mut out = Vec::new();
            let (w16, h16) = (u16::try_from(w).map_err(|e| err(&e))?, u16::try_from(h).map_err(|e| err(&e))?);
            jpeg_encoder::Encoder::new(&mut out, 85).encode(&rgb, w16, h16, jpeg_encoder::ColorType::Rgb).map_err(|e| err(&e))?;
            Ok(out)
        }
        ImageFormat::Png => {
            let opaque = rgba.chunks_exact(4).all(|p| p[3] == 255);
            if opaque {
                let rgb = rgb_over_white(&rgba);
                write_png(w, h, png::ColorType::Rgb, &rgb, None).map_err(|e| err(&e))
            } else {
                write_png(w, h, png::ColorType::Rgba, &rgba, None).map_err(|e| err(&e))
            }
        }
        ImageFormat::Png8 => {
            let (palette, indices) = quantize(&rgba);
            let rgb: Vec<u8> = palette.iter().flat_map(|c| [c[0], c[1], c[2]]).collect();
            let mut trns: Vec<u8> = palette.iter().map(|c| c[3]).collect();
            while trns.last() == Some(&255) {
                trns.pop();
            }
            write_png(w, h, png::ColorType::Indexed, &indices, Some((rgb, trns))).map_err(|e| err(&e))
        }
    }
}

/// Premultiplied RGBA (tiny-skia) to straight RGBA.
fn demultiply(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; data.len()];
    for (o, p) in out.chunks_exact_mut(4).zip(data.chunks_exact(4)) {
        match p[3] {
            255 => o.copy_from_slice(p),
            0 => {}
            a => {
                let a16 = u16::from(a);
                let un = |c: u8| ((u16::from(c) * 255 + a16 / 2) / a16).min(255) as u8;
                o[0] = un(p[0]);
                o[1] = un(p[1]);
                o[2] = un(p[2]);
                o[3] = a;
            }
        }
    }
    out
}

/// Straight RGBA to RGB, compositing over white with the pixel's alpha.
fn rgb_over_white(rgba: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; rgba.len() / 4 * 3];
    for (o, p) in out.chunks_exact_mut(3).zip(rgba.chunks_exact(4)) {
        let a = u32::from(p[3]);
        if a == 255 {
            o.copy_from_slice(&p[..3]);
        } else {
            let over = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
            o[0] = over(p[0]);
            o[1] = over(p[1]);
            o[2] = over(p[2]);
        }
    }
    out
}

fn write_png(
    w: u32,
    h: u32,
    color: png::ColorType,
    data: &[u8],
    palette: Option<(Vec<u8>, Vec<u8>)>,
) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(color);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        // One filter for every row: nearly as small as choosing per row, much faster.
        encoder.set_filter(png::Filter::Up);
        if let Some((rgb, trns)) = palette {
            encoder.set_palette(rgb);
            if !trns.is_empty() {
                encoder.set_trns(trns);
            }
        }
        let mut writer = encoder.write_header()?;
        writer.write_image_data(data)?;
        writer.finish()?;
    }
    Ok(out)
}

/// A palette of at most 256 colours and one index per pixel: exact when the image has few
/// colours, else NeuQuant (the `color_quant` crate).
fn quantize(rgba: &[u8]) -> (Vec<[u8; 4]>, Vec<u8>) {
    let mut exact: std::collections::HashMap<[u8; 4], u8> = std::collections::HashMap::new();
    let mut palette: Vec<[u8; 4]> = Vec::new();
    let mut indices = Vec::with_capacity(rgba.len() / 4);
    for p in rgba.chunks_exact(4) {
        let c = [p[0], p[1], p[2], p[3]];
        let i = match exact.get(&c) {
            Some(&i) => i,
            None if palette.len() < 256 => {
                let i = palette.len() as u8;
                palette.push(c);
                exact.insert(c, i);
                i
            }
            None => {
                let nq = color_quant::NeuQuant::new(10, 256, rgba);
                let map = nq.color_map_rgba();
                let palette: Vec<[u8; 4]> = map.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]]).collect();
                let mut cache: std::collections::HashMap<[u8; 4], u8> = std::collections::HashMap::new();
                let indices = rgba
                    .chunks_exact(4)
                    .map(|p| {
                        let c = [p[0], p[1], p[2], p[3]];
                        *cache.entry(c).or_insert_with(|| nq.index_of(&c) as u8)
                    })
                    .collect();
                return (palette, indices);
            }
        };
        indices.push(i);
    }
    (palette, indices)
}
