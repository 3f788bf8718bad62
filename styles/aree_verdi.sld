<?xml version="1.0" encoding="UTF-8"?>
<!-- navigli demo style for the layer "aree_verdi" (SLD 1.0.0). -->
<StyledLayerDescriptor version="1.0.0"
    xmlns="http://www.opengis.net/sld"
    xmlns:ogc="http://www.opengis.net/ogc"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.opengis.net/sld http://schemas.opengis.net/sld/1.0.0/StyledLayerDescriptor.xsd">
  <NamedLayer>
    <Name>aree_verdi</Name>
    <UserStyle>
      <Name>aree_verdi</Name>
      <Title>Aree verdi</Title>
      <Abstract>Riempimento verde con contorno verde scuro; nome a scale di dettaglio.</Abstract>
      <FeatureTypeStyle>
        <Name>aree</Name>
        <Rule>
          <Name>verde</Name>
          <Title>Area verde</Title>
          <PolygonSymbolizer>
            <Fill>
              <CssParameter name="fill">#9fd18b</CssParameter>
              <CssParameter name="fill-opacity">0.85</CssParameter>
            </Fill>
            <Stroke>
              <CssParameter name="stroke">#4f8f43</CssParameter>
              <CssParameter name="stroke-width">0.8</CssParameter>
              <CssParameter name="stroke-linejoin">round</CssParameter>
            </Stroke>
          </PolygonSymbolizer>
        </Rule>
        <Rule>
          <Name>nome</Name>
          <Title>Nome dell'area verde</Title>
          <MaxScaleDenominator>12000</MaxScaleDenominator>
          <TextSymbolizer>
            <Label><ogc:PropertyName>nome</ogc:PropertyName></Label>
            <Font>
              <CssParameter name="font-family">DejaVu Sans</CssParameter>
              <CssParameter name="font-size">10</CssParameter>
            </Font>
            <LabelPlacement>
              <PointPlacement/>
            </LabelPlacement>
            <Halo>
              <Radius>1.5</Radius>
              <Fill>
                <CssParameter name="fill">#ffffff</CssParameter>
                <CssParameter name="fill-opacity">0.85</CssParameter>
              </Fill>
            </Halo>
            <Fill>
              <CssParameter name="fill">#2d5a27</CssParameter>
            </Fill>
          </TextSymbolizer>
        </Rule>
      </FeatureTypeStyle>
    </UserStyle>
  </NamedLayer>
</StyledLayerDescriptor>
