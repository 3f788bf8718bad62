<?xml version="1.0" encoding="UTF-8"?>
<!-- navigli demo style for the layer "uso_suolo" (SLD 1.0.0). -->
<StyledLayerDescriptor version="1.0.0"
    xmlns="http://www.opengis.net/sld"
    xmlns:ogc="http://www.opengis.net/ogc"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.opengis.net/sld http://schemas.opengis.net/sld/1.0.0/StyledLayerDescriptor.xsd">
  <NamedLayer>
    <Name>uso_suolo</Name>
    <UserStyle>
      <Name>uso_suolo</Name>
      <Title>Uso del suolo (DUSAF)</Title>
      <Abstract>Classi DUSAF per prefisso, toni tenui: urbanizzato rosato, agricolo giallo, boschi verde, acque blu.</Abstract>
      <FeatureTypeStyle>
        <Name>classi</Name>
        <Rule>
          <Name>urbano_continuo</Name>
          <Title>Tessuto residenziale denso e continuo (111)</Title>
          <ogc:Filter>
            <ogc:PropertyIsLike wildCard="*" singleChar="." escape="!">
              <ogc:PropertyName>classe</ogc:PropertyName>
              <ogc:Literal>111*</ogc:Literal>
            </ogc:PropertyIsLike>
          </ogc:Filter>
          <PolygonSymbolizer>
            <Fill>
              <CssParameter name="fill">#e9a99c</CssParameter>
            </Fill>
            <Stroke>
              <CssParameter name="stroke">#e9a99c</CssParameter>
              <CssParameter name="stroke-width">0.6</CssParameter>
              <CssParameter name="stroke-linejoin">round</CssParameter>
            </Stroke>
          </PolygonSymbolizer>
        </Rule>
        <Rule>
          <Name>urbano_discontinuo</Name>
          <Title>Tessuto residenziale discontinuo e rado (112)</Title>
          <ogc:Filter>
            <ogc:PropertyIsLike wildCard="*" singleChar="." escape="!">
              <ogc:PropertyName>classe</ogc:PropertyName>
              <ogc:Literal>112*</ogc:Literal>
            </ogc:PropertyIsLike>
          </ogc:Filter>
          <PolygonSymbolizer>
            <Fill>
              <CssParameter name="fill">#f3cbc1</CssParameter>
            </Fill>
            <Stroke>
              <CssParameter name="stroke">#f3cbc1</CssParameter>
              <CssParameter name="stroke-width">0.6</CssParameter>
              <CssParameter name="stroke-linejoin">round</CssParameter>
            </Stroke>
          </PolygonSymbolizer>
        </Rule>
        <Rule>
          <Name>produttivo</Name>
          <Title>Insediamenti produttivi, servizi e reti (12)</Title>
          <ogc:Filter>
            <ogc:PropertyIsLike wildCard="*" singleChar="." escape="!">
              <ogc:PropertyName>classe</ogc:PropertyName>
              <ogc:Literal>12*</ogc:Literal>
            </ogc:PropertyIsLike>
          </ogc:Filter>
          <PolygonSymbolizer>
            <Fill>
              <CssParameter name="fill">#d4a5b8</CssParameter>
            </Fill>
            <Stroke>
              <CssParameter name="stroke">#d4a5b8</CssParameter>
              <CssParameter name="stroke-width">0.6</CssParameter>
              <CssParameter name="stroke-linejoin">round</CssParameter>
            </Stroke>
          </PolygonSymbolizer>
        </Rule>
        <Rule>
          <Name>altro_urbano</Name>
          <Title>Cave, cantieri, verde urbano (13, 14)</Title>
          <ogc:Filter>
            <ogc:Or>
              <ogc:PropertyIsLike wildCard="*" singleChar="." escape="!">
                <ogc:PropertyName>classe</ogc:PropertyName>
                <ogc:Literal>13*</ogc:Literal>
              </ogc:PropertyIsLike>
              <ogc:PropertyIsLike wildCard="*" singleChar="." escape="!">
                <ogc:PropertyName>classe</ogc:PropertyName>
                <ogc:Literal>14*</ogc:Literal>
              </ogc:PropertyIsLike>
            </ogc:Or>
          </ogc:Filter>
          <PolygonSymbolizer>
            <Fill>
              <CssParameter name="fill">#f6ddd5</CssParameter>
            </Fill>
            <Stroke>
              <CssParameter name="stroke">#f6ddd5</CssParameter>
              <CssParameter name="stroke-width">0.6</CssParameter>
              <CssParameter name="stroke-linejoin">round</CssParameter>
            </Stroke>
          </PolygonSymbolizer>
        </Rule>
        <Rule>
          <Name>seminativi</Name>
          <Title>Seminativi (21, risaie escluse)</Title>
          <ogc:Filter>
            <ogc:And>
              <ogc:PropertyIsLike wildCard="*" singleChar="." escape="!">
                <ogc:PropertyName>classe</ogc:PropertyName>
                <ogc:Literal>21*</ogc:Literal>
              </ogc:PropertyIsLike>
              <ogc:Not>
                <ogc:PropertyIsLike wildCard="*" singleChar="." escape="!">
                  <ogc:PropertyName>classe</ogc:PropertyName>
                  <ogc:Literal>213*</ogc:Literal>
                </ogc:PropertyIsLike>
              </ogc:Not>
            </ogc:And>
          </ogc:Filter>
          <PolygonSymbolizer>
            <Fill>
              <CssParameter name="fill">#f7e9a0</CssParameter>
            </Fill>
            <Stroke>
              <CssParameter name="stroke">#f7e9a0</CssParameter>
              <CssParameter name="stroke-width">0.6</CssParameter>
              <CssParameter name="stroke-linejoin">round</CssParameter>
            </Stroke>
          </PolygonSymbolizer>
        </Rule>
        <Rule>
          <Name>risaie</Name>
          <Title>Risaie (213)</Title>
          <ogc:Filter>
            <ogc:PropertyIsLike wildCard="*" singleChar="." escape="!">
              <ogc:PropertyName>classe</ogc:PropertyName>
              <ogc:Literal>213*</ogc:Literal>
            </ogc:PropertyIsLike>
          </ogc:Filter>
          <PolygonSymbolizer>
            <Fill>
              <CssParameter name="fill">#e6eeb0</CssParameter>
            </Fill>
            <Stroke>
              <CssParameter name="stroke">#e6eeb0</CssParameter>
              <CssParameter name="stroke-width">0.6</CssParameter>
              <CssParameter name="stroke-linejoin">round</CssParameter>
            </Stroke>
          </PolygonSymbolizer>
        </Rule>
        <Rule>
          <Name>legnose</Name>
          <Title>Legnose agrarie e pioppeti (22)</Title>
          <ogc:Filter>
            <ogc:PropertyIsLike wildCard="*" singleChar="." escape="!">
              <ogc:PropertyName>classe</ogc:PropertyName>
              <ogc:Literal>22*</ogc:Literal>
            </ogc:PropertyIsLike>
          </ogc:Filter>
          <PolygonSymbolizer>
            <Fill>
              <CssParameter name="fill">#ead29a</CssParameter>
            </Fill>
            <Stroke>
              <CssParameter name="stroke">#ead29a</CssParameter>
              <CssParameter name="stroke-width">0.6</CssParameter>
              <CssParameter name="stroke-linejoin">round</CssParameter>
            </Stroke>
          </PolygonSymbolizer>
        </Rule>
        <Rule>
          <Name>prati</Name>
          <Title>Prati permanenti (23)</Title>
          <ogc:Filter>
            <ogc:PropertyIsLike wildCard="*" singleChar="." escape="!">
              <ogc:PropertyName>classe</ogc:PropertyName>
              <ogc:Literal>23*</ogc:Literal>
            </ogc:PropertyIsLike>
          </ogc:Filter>
          <PolygonSymbolizer>
            <Fill>
              <CssParameter name="fill">#dcefb6</CssParameter>
            </Fill>
            <Stroke>
              <CssParameter name="stroke">#dcefb6</CssParameter>
              <CssParameter name="stroke-width">0.6</CssParameter>
              <CssParameter name="stroke-linejoin">round</CssParameter>
            </Stroke>
          </PolygonSymbolizer>
        </Rule>
        <Rule>
          <Name>boschi</Name>
          <Title>Boschi e formazioni ripariali (31)</Title>
          <ogc:Filter>
            <ogc:PropertyIsLike wildCard="*" singleChar="." escape="!">
              <ogc:PropertyName>classe</ogc:PropertyName>
              <ogc:Literal>31*</ogc:Literal>
            </ogc:PropertyIsLike>
          </ogc:Filter>
          <PolygonSymbolizer>
            <Fill>
              <CssParameter name="fill">#7fb56f</CssParameter>
            </Fill>
            <Stroke>
              <CssParameter name="stroke">#7fb56f</CssParameter>
              <CssParameter name="stroke-width">0.6</CssParameter>
              <CssParameter name="stroke-linejoin">round</CssParameter>
            </Stroke>
          </PolygonSymbolizer>
        </Rule>
        <Rule>
          <Name>seminaturali</Name>
          <Title>Vegetazione arbustiva e rada (32, 33)</Title>
          <ogc:Filter>
            <ogc:Or>
              <ogc:PropertyIsLike wildCard="*" singleChar="." escape="!">
                <ogc:PropertyName>classe</ogc:PropertyName>
                <ogc:Literal>32*</ogc:Literal>
              </ogc:PropertyIsLike>
              <ogc:PropertyIsLike wildCard="*" singleChar="." escape="!">
                <ogc:PropertyName>classe</ogc:PropertyName>
                <ogc:Literal>33*</ogc:Literal>
              </ogc:PropertyIsLike>
            </ogc:Or>
          </ogc:Filter>
          <PolygonSymbolizer>
            <Fill>
              <CssParameter name="fill">#b9dca0</CssParameter>
            </Fill>
            <Stroke>
              <CssParameter name="stroke">#b9dca0</CssParameter>
              <CssParameter name="stroke-width">0.6</CssParameter>
              <CssParameter name="stroke-linejoin">round</CssParameter>
            </Stroke>
          </PolygonSymbolizer>
        </Rule>
        <Rule>
          <Name>umide</Name>
          <Title>Aree umide (4)</Title>
          <ogc:Filter>
            <ogc:PropertyIsLike wildCard="*" singleChar="." escape="!">
              <ogc:PropertyName>classe</ogc:PropertyName>
              <ogc:Literal>4*</ogc:Literal>
            </ogc:PropertyIsLike>
          </ogc:Filter>
          <PolygonSymbolizer>
            <Fill>
              <CssParameter name="fill">#bcd8e3</CssParameter>
            </Fill>
            <Stroke>
              <CssParameter name="stroke">#bcd8e3</CssParameter>
              <CssParameter name="stroke-width">0.6</CssParameter>
              <CssParameter name="stroke-linejoin">round</CssParameter>
            </Stroke>
          </PolygonSymbolizer>
        </Rule>
        <Rule>
          <Name>acque</Name>
          <Title>Corpi idrici (5)</Title>
          <ogc:Filter>
            <ogc:PropertyIsLike wildCard="*" singleChar="." escape="!">
              <ogc:PropertyName>classe</ogc:PropertyName>
              <ogc:Literal>5*</ogc:Literal>
            </ogc:PropertyIsLike>
          </ogc:Filter>
          <PolygonSymbolizer>
            <Fill>
              <CssParameter name="fill">#8fbde6</CssParameter>
            </Fill>
            <Stroke>
              <CssParameter name="stroke">#8fbde6</CssParameter>
              <CssParameter name="stroke-width">0.6</CssParameter>
              <CssParameter name="stroke-linejoin">round</CssParameter>
            </Stroke>
          </PolygonSymbolizer>
        </Rule>
        <Rule>
          <Name>altro</Name>
          <Title>Altra classe</Title>
          <ElseFilter/>
          <PolygonSymbolizer>
            <Fill>
              <CssParameter name="fill">#e4e4e4</CssParameter>
            </Fill>
            <Stroke>
              <CssParameter name="stroke">#e4e4e4</CssParameter>
              <CssParameter name="stroke-width">0.6</CssParameter>
            </Stroke>
          </PolygonSymbolizer>
        </Rule>
      </FeatureTypeStyle>
    </UserStyle>
  </NamedLayer>
</StyledLayerDescriptor>
